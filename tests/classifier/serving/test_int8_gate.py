"""The int8 engine's parity check against float, and when ``auto`` serves int8 (unit level: fake engines)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from classifier.serving import engine_choice, engines, int8, integrity
from classifier.training import quantize

CLASSES = 20
BIRDS = (0, 1, 2)


def config(threshold: float = 0.5) -> SimpleNamespace:
    return SimpleNamespace(temperature=1.0, bird_classes=BIRDS, bird_threshold=threshold, version="v1")


class Logits:
    """An engine that answers from fixed logits, whatever the pixels."""

    def __init__(self, species: np.ndarray, imagenet: np.ndarray) -> None:
        self.species, self.imagenet = species, imagenet

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.species, self.imagenet


@pytest.fixture
def held_out() -> tuple[quantize.Photos, Logits]:
    """200 labelled photos from two datasets and a float reference that gets 3 in 4 right."""
    rng = np.random.default_rng(5)
    n = 200
    labels = rng.integers(0, CLASSES, n)
    species = rng.normal(0, 1, (n, CLASSES))
    right = rng.random(n) < 0.75
    species[np.flatnonzero(right), labels[right]] += 6
    imagenet = rng.normal(0, 1, (n, 1000))
    imagenet[: n // 2, BIRDS[0]] += 12  # the first half are birds, clearly
    photos = quantize.Photos(
        pixels=np.zeros((n, 1, 1, 3), np.uint8),
        labels=labels,
        sources=np.array(["cub100"] * (n // 2) + ["gpiosenka525"] * (n // 2)),
    )
    return photos, Logits(species, imagenet)


def test_an_int8_candidate_close_to_float_passes_the_check(held_out):
    photos, reference = held_out
    noise = np.random.default_rng(1).normal(0, 0.01, reference.species.shape)
    candidate = Logits(reference.species + noise, reference.imagenet + 0.01)
    parity = quantize.compare(config(), reference, candidate, photos)
    assert parity.ok, parity.failures()
    assert parity.top1_agree >= 0.99 and parity.gate_agree == 1.0
    assert set(parity.top1) == {"cub100", "gpiosenka525", "all"}


def test_a_damaged_int8_candidate_fails_the_check_and_says_why(held_out):
    photos, reference = held_out
    shuffled = reference.species[np.random.default_rng(2).permutation(len(photos.labels))]
    parity = quantize.compare(config(), reference, Logits(shuffled, reference.imagenet), photos)
    reasons = parity.failures()
    assert not parity.ok
    assert any("top-1 agrees with float" in r for r in reasons)
    assert any("held-out top-1 on cub100" in r for r in reasons)
    assert parity.report()["reasons"] == reasons and parity.report()["ok"] is False


def test_a_candidate_whose_bird_gate_differs_fails_on_the_gate_alone(held_out):
    photos, reference = held_out
    imagenet = reference.imagenet.copy()
    imagenet[:4, BIRDS[0]] -= 12  # 4 of 200 birds (2 %) no longer pass
    parity = quantize.compare(config(), reference, Logits(reference.species, imagenet), photos)
    assert parity.failures() == ["bird gate agrees with float on 98.0% < 99%"]


def test_held_out_top1_is_checked_on_every_dataset_not_only_on_all(held_out):
    photos, reference = held_out
    species = reference.species.copy()
    # Two right answers lost on gpiosenka525 (2 points there, 1 point on all), none elsewhere.
    right = np.flatnonzero((species.argmax(1) == photos.labels) & (photos.sources == "gpiosenka525"))[:2]
    species[right, photos.labels[right]] -= 20
    thresholds = quantize.Thresholds(min_top1_agreement=0.9)
    parity = quantize.compare(config(), reference, Logits(species, reference.imagenet), photos, thresholds)
    reasons = parity.failures()
    assert len(reasons) == 2 and "gpiosenka525" in reasons[0] and "all" in reasons[1]


def test_stricter_thresholds_fail_what_the_defaults_pass(held_out):
    photos, reference = held_out
    species = reference.species.copy()
    # One answer of 200 changes (99.5 % agreement), from one wrong species to another: top-1 stays.
    wrong = np.flatnonzero(species.argmax(1) != photos.labels)
    i = next(
        i for i in wrong if np.roll(species[i], 1).argmax() not in (photos.labels[i], species[i].argmax())
    )
    species[i] = np.roll(species[i], 1)
    candidate = Logits(species, reference.imagenet)
    assert quantize.compare(config(), reference, candidate, photos).ok
    strict = quantize.Thresholds(min_top1_agreement=1.0, max_top1_drop=0.0)
    assert not quantize.compare(config(), reference, candidate, photos, strict).ok


# --- which CPUs get int8 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "found"),
    [
        ("fpu sse avx2 fma avx512f avx512_vnni", "avx512_vnni"),
        ("fpu sse avx2 fma avx_vnni", "avx_vnni"),
        ("fpu sse sse2 avx avx2 fma sha_ni", None),  # AMD Zen 2: no int8 dot product
    ],
)
def test_int8_counts_as_paying_only_on_cpus_with_int8_dot_products(tmp_path, flags, found):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n")
    assert int8.int8_dot_product(cpuinfo) == found


def test_an_arm_cpu_with_dot_products_counts_too(tmp_path):
    (tmp_path / "cpuinfo").write_text("processor\t: 0\nFeatures\t: fp asimd asimddp sha3\n")
    assert int8.int8_dot_product(tmp_path / "cpuinfo") == "asimddp"


def test_no_cpuinfo_means_no_int8(tmp_path):
    assert int8.int8_dot_product(tmp_path / "missing") is None


# --- what auto serves -----------------------------------------------------------------------------


class FakeLiteRT:
    def __init__(self, path: Path, num_threads: int | None = None, name: str = "litert") -> None:
        self.path, self.name = path, name


@pytest.fixture
def gate(monkeypatch):
    """A CPU with VNNI, a float conversion that matches TensorFlow, and a built int8 file to choose."""
    state: dict = {"int8": {"ok": True, "reasons": [], "top1_agree": 0.99}, "built": True, "asked": 0}

    def built(config):
        state["asked"] += 1
        return (Path("/cache/int8.tflite"), state["int8"]) if state["built"] else None

    def never_convert(*args, **kwargs):
        raise AssertionError("serving converted to int8: that is the build step's work")

    monkeypatch.setattr(int8, "int8_dot_product", lambda: "avx512_vnni")
    monkeypatch.setattr(int8, "built", built)
    monkeypatch.setattr(quantize, "ensure_int8_model", never_convert)
    monkeypatch.setattr(engines, "LiteRTEngine", FakeLiteRT)
    monkeypatch.setattr(
        engines, "ensure_litert_model", lambda config, **kw: (Path("/f.tflite"), {"ok": True})
    )
    return state


def one_warning(caplog) -> logging.LogRecord:
    (record,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.exc_info is None  # one line, no traceback
    return record


def unbuilt_config(tmp_path: Path | None = None) -> SimpleNamespace:
    """A v1 model's config; with ``tmp_path``, a real directory (``create`` reads its backbone)."""
    if tmp_path is None:
        return SimpleNamespace(version="v1", path=Path("/models/v1"))
    (tmp_path / "config.json").write_text("{}")
    return SimpleNamespace(version="v1", path=tmp_path)


def test_auto_serves_int8_once_it_was_built_and_passed_its_parity_check(gate):
    assert engine_choice.create(config=None).name == "int8"


def test_auto_falls_back_to_float_litert_when_int8_fails_parity_and_says_why(gate, caplog):
    gate["int8"] = {"ok": False, "reasons": ["top-1 agrees with float on 95.4% < 98%"], "top1_agree": 0.954}
    with caplog.at_level(logging.INFO):
        served = engine_choice.create(config=None)
    assert served.name == "litert" and served.path == Path("/f.tflite")
    assert "95.4% < 98%" in one_warning(caplog).getMessage()


def test_auto_serves_float_where_no_int8_was_built_and_names_the_command_that_builds_it(
    gate, caplog, tmp_path
):
    gate["built"] = False
    with caplog.at_level(logging.INFO):
        assert engine_choice.create(config=unbuilt_config(tmp_path), requested="auto").name == "litert"
    assert f"python -m classifier build-int8 {tmp_path}" in one_warning(caplog).getMessage()


def test_auto_does_not_even_look_for_int8_where_the_cpu_has_no_int8_dot_products(gate, monkeypatch, caplog):
    monkeypatch.setattr(int8, "int8_dot_product", lambda: None)
    with caplog.at_level(logging.INFO):
        assert engine_choice.create(config=None).name == "litert"
    assert gate["asked"] == 0
    assert any("no int8 dot-product" in r.getMessage() for r in caplog.records)


def test_auto_with_another_precision_asked_for_leaves_int8_out(gate):
    assert engine_choice.create(config=None, precision="float16").name == "litert"
    assert gate["asked"] == 0


def test_asking_for_int8_serves_it_even_where_it_failed_parity_with_a_warning(gate, monkeypatch, caplog):
    monkeypatch.setattr(int8, "int8_dot_product", lambda: None)
    gate["int8"] = {"ok": False, "reasons": ["bird gate agrees with float on 97.0% < 99%"]}
    assert engine_choice.create(config=None, requested="int8").name == "int8"
    assert "97.0% < 99%" in one_warning(caplog).getMessage()


def test_asking_for_int8_that_was_never_built_refuses_with_the_command_that_builds_it(gate, tmp_path):
    gate["built"] = False
    with pytest.raises(int8.Int8NotBuilt, match=f"python -m classifier build-int8 {tmp_path}"):
        engine_choice.create(config=unbuilt_config(tmp_path), requested="int8")


def test_a_built_int8_file_is_found_only_when_it_and_its_report_are_whole(tmp_path, monkeypatch):
    flatbuffer = tmp_path / "v1-int8r1.tflite"
    monkeypatch.setattr(engines, "cached_model_file", lambda config, precision: flatbuffer)
    assert int8.built(unbuilt_config()) is None
    flatbuffer.write_bytes(b"flatbuffer")
    integrity.seal(flatbuffer)
    assert int8.built(unbuilt_config()) is None  # no report yet: a build that died half way
    flatbuffer.with_suffix(".json").write_text(json.dumps({"ok": True}))
    integrity.seal(flatbuffer.with_suffix(".json"))
    assert int8.built(unbuilt_config()) == (flatbuffer, {"ok": True})
    flatbuffer.write_bytes(b"flipped")
    assert int8.built(unbuilt_config()) is None


# --- the photos the check needs ---------------------------------------------------------------------


def model_dir(tmp_path: Path, data: dict | None) -> SimpleNamespace:
    (tmp_path / "config.json").write_text(json.dumps({"data": data} if data is not None else {}))
    return SimpleNamespace(path=tmp_path, version="v1", classes=["a"])


def test_a_model_that_does_not_name_its_datasets_has_no_photos_to_check_on(tmp_path):
    with pytest.raises(quantize.NoPhotos, match="does not say which datasets"):
        quantize.model_photos(model_dir(tmp_path, None), tmp_path, "test")


def test_missing_dataset_folders_are_named(tmp_path):
    data = {"dirs": ["cub100"], "split_seed": 1, "valid_fraction": 0.15, "test_fraction": 0.15}
    with pytest.raises(quantize.NoPhotos, match=str(tmp_path / "absent" / "cub100")):
        quantize.model_photos(model_dir(tmp_path, data), tmp_path / "absent", "test")


# --- a built int8 file that fails the self-check at load ---------------------------------------------


@pytest.fixture
def int8_fails_selfcheck(monkeypatch):
    """``create`` gives int8 unless asked for float; the self-check fails int8 only."""
    from classifier.serving import selfcheck

    unsealed: list[Path] = []

    def fake_create(config, requested=None, **kwargs):
        return FakeLiteRT(Path("/f.tflite"), name="litert" if requested == "litert" else "int8")

    monkeypatch.setattr(engine_choice, "create", fake_create)
    monkeypatch.setattr(selfcheck.Fingerprint, "read", staticmethod(lambda path: None))
    monkeypatch.setattr(selfcheck, "failures", lambda c, e, x: ["top-1 differs"] if e.name == "int8" else [])
    monkeypatch.setattr(selfcheck, "verify", lambda c, e: None)
    monkeypatch.setattr(integrity, "seal_path", lambda path: unsealed.append(path) or Path("/nowhere"))
    return unsealed


def test_auto_serves_float_when_the_built_int8_fails_its_self_check_and_keeps_the_file(int8_fails_selfcheck):
    served = engine_choice.create_checked(unbuilt_config(), "auto")
    assert (
        served.name == "litert" and int8_fails_selfcheck == []
    )  # nothing unsealed: it cannot be rebuilt here


def test_asking_for_an_int8_that_fails_its_self_check_says_how_to_build_it_again(int8_fails_selfcheck):
    with pytest.raises(integrity.ModelDamaged, match="python -m classifier build-int8 /models/v1"):
        engine_choice.create_checked(unbuilt_config(), "int8")
