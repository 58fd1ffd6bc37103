"""The engines behind ``classifier.load()``: LiteRT matches TensorFlow, and the choice follows the options."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from classifier.serving import engine_choice, engines, images, int8
from tests.classifier.conftest import V1_MODEL

BIRD_CLASSES = [*range(7, 25), *range(80, 101), *range(127, 147)]


class FakeTensorFlow:
    name = "tensorflow"

    def __init__(self, config) -> None:
        self.config = config


class FakeLiteRT:
    def __init__(self, path: Path, num_threads: int | None = None, name: str = "litert") -> None:
        self.path, self.num_threads, self.name = path, num_threads, name


@pytest.fixture
def fake_engines(monkeypatch):
    """Both engines replaced; ``report`` is what the conversion's parity check found."""
    state = {"report": {"ok": True}, "error": None}

    def ensure(config, *, precision="float32", reference=None):
        if state["error"]:
            raise state["error"]
        return Path("/cache/model.tflite"), state["report"]

    monkeypatch.setattr(engines, "TensorFlowEngine", FakeTensorFlow)
    monkeypatch.setattr(engines, "LiteRTEngine", FakeLiteRT)
    monkeypatch.setattr(engines, "ensure_litert_model", ensure)
    # As on a CPU without int8 dot products, whatever this one has (serving/test_int8_gate.py).
    monkeypatch.setattr(int8, "int8_dot_product", lambda: None)
    return state


def test_by_default_the_service_runs_on_litert_when_it_matches_tensorflow(fake_engines):
    assert engine_choice.create(config=None).name == "litert"


def test_auto_falls_back_to_tensorflow_when_litert_does_not_match(fake_engines):
    fake_engines["report"] = {"ok": False, "max_prob_diff": 0.2}
    assert engine_choice.create(config=None).name == "tensorflow"


def test_auto_falls_back_to_tensorflow_when_litert_cannot_load(fake_engines):
    fake_engines["error"] = ImportError("no ai_edge_litert")
    assert engine_choice.create(config=None).name == "tensorflow"


@pytest.mark.parametrize("name", ["tensorflow", "litert", "auto"])
def test_the_engine_is_the_one_asked_for(fake_engines, name):
    assert engine_choice.create(config=None, requested=name.upper()).name == (
        "litert" if name == "auto" else name
    )


def test_litert_runs_on_the_threads_asked_for(fake_engines):
    assert engine_choice.create(config=None, requested="litert", threads=3).num_threads == 3


def test_the_environment_does_not_choose_the_engine_of_the_library(fake_engines, monkeypatch):
    monkeypatch.setenv("BIRDSITE_ENGINE", "tensorflow")
    assert engine_choice.create(config=None).name == "litert"


def test_an_unknown_engine_name_is_refused_with_the_choices(fake_engines):
    with pytest.raises(engines.EngineError, match="auto"):
        engine_choice.create(config=None, requested="onnx")


def test_asking_for_litert_explicitly_never_silently_gives_tensorflow(fake_engines):
    fake_engines["error"] = ImportError("no ai_edge_litert")
    with pytest.raises(ImportError):
        engine_choice.create(config=None, requested="litert")


# --- the real engines on real photos -------------------------------------------------------------


def write_model_dir(root: Path, *, classes: int = 5, seed: int = 3) -> Path:
    """A model directory with an untrained head: enough to compare engines on the same graph."""
    import keras

    from classifier.serving import heads

    keras.utils.set_random_seed(seed)
    head = heads.build_head("default", classes, feature_shape=(1024,))
    head(np.zeros((1, 1024), np.float32))
    root.mkdir(parents=True)
    head.save_weights(root / "head.weights.h5")
    config = {
        "version": "engine-test",
        "head": "default",
        "feature_shape": [1024],
        "classes": [f"class{i}" for i in range(classes)],
        "temperature": 0.7,
        "tta_flip": True,
        "bird_gate": {"imagenet_classes": BIRD_CLASSES, "threshold": 0.2},
    }
    (root / "config.json").write_text(json.dumps(config))
    return root


@pytest.fixture(scope="module")
def model_config(tmp_path_factory):
    from classifier.serving.config import ModelConfig

    try:
        shipped = V1_MODEL
    except OSError:
        shipped = None
    if shipped is not None and (shipped / "head.weights.h5").exists():
        return ModelConfig.read(shipped)
    return ModelConfig.read(write_model_dir(tmp_path_factory.mktemp("models") / "engine-test"))


@pytest.fixture(scope="module")
def converted(model_config, tmp_path_factory):
    """The TensorFlow reference and the LiteRT conversion of the same Keras graph, cached in a tmp dir."""
    cache = tmp_path_factory.mktemp("litert-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engines, "cached_model_file", lambda config, precision: cache / f"{precision}.tflite")
        reference = engines.TensorFlowEngine(model_config)
        path, report = engines.ensure_litert_model(model_config, reference=reference)
    return reference, path, report


def real_photos(birds_dir: Path, n: int = 12) -> np.ndarray:
    species = sorted(p for p in (birds_dir / "cub100").iterdir() if p.is_dir())[:n]
    return images.load_batch([sorted(s.iterdir())[0] for s in species])


@pytest.mark.model
@pytest.mark.shared
def test_litert_gives_tensorflows_species_probabilities_and_bird_scores_on_real_photos(
    converted, model_config, birds_dir
):
    reference, path, report = converted
    assert report["ok"], report
    parity = engines.compare(model_config, reference, engines.LiteRTEngine(path), real_photos(birds_dir))
    assert parity.max_prob_diff <= engines.PROB_TOLERANCE
    assert parity.max_bird_diff <= engines.BIRD_TOLERANCE
    assert parity.top1_agree == 1.0


@pytest.mark.model
@pytest.mark.shared
def test_litert_answers_the_same_whatever_the_batch_size(converted, birds_dir):
    _, path, _ = converted
    batch = real_photos(birds_dir, n=7)
    lite = engines.LiteRTEngine(path, chunk=4)
    together, _ = lite(batch)
    one_by_one = np.concatenate([lite(batch[i : i + 1])[0] for i in range(len(batch))])
    np.testing.assert_allclose(together, one_by_one, rtol=1e-4, atol=1e-4)


@pytest.mark.model
def test_a_converted_model_is_reused_from_the_cache_without_tensorflow(converted, model_config, monkeypatch):
    _, path, report = converted
    monkeypatch.setattr(engines, "cached_model_file", lambda config, precision: path)
    monkeypatch.setattr(engines, "convert", lambda *a, **k: pytest.fail("converted twice"))
    monkeypatch.setattr(engines, "TensorFlowEngine", lambda *a: pytest.fail("built TensorFlow"))
    monkeypatch.setattr(int8, "int8_dot_product", lambda: None)
    again, again_report = engines.ensure_litert_model(model_config)
    assert again == path and again_report == report
    assert engine_choice.create(model_config, "auto").name == "litert"


def test_the_cache_key_changes_with_the_trained_weights_and_the_precision(tmp_path):
    from classifier.serving.config import ModelConfig

    model_dir = tmp_path / "m"
    model_dir.mkdir()
    (model_dir / "config.json").write_text(
        json.dumps(
            {
                "version": "v1",
                "head": "default",
                "feature_shape": [1024],
                "classes": ["a"],
                "temperature": 1.0,
                "tta_flip": False,
                "bird_gate": {"imagenet_classes": [7], "threshold": 0.2},
            }
        )
    )
    (model_dir / "head.weights.h5").write_bytes(b"one")
    config = ModelConfig.read(model_dir)
    first = engines.cache_key(config, "float32")
    assert first.startswith("v1-") and engines.converter_version() in first
    assert engines.cache_key(config, "float16") != first
    (model_dir / "head.weights.h5").write_bytes(b"two")
    assert engines.cache_key(config, "float32") != first
