"""The bird-specialist iNat backbone: shipped and checked, the same network as published, its names mapped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier.serving import integrity
from classifier.serving.backbones import inat
from classifier.serving.backbones.union import UnionHead, background_probability
from classifier.training import inat_fit


def test_the_backbone_ships_in_the_repository_with_its_license_and_notice():
    assert inat.MODEL_FILE.is_file() and inat.LABELS_FILE.is_file()
    assert "Apache License" in (inat.FOLDER / "LICENSE").read_text()
    notice = (inat.FOLDER / "NOTICE").read_text()
    assert "iNaturalist" in notice and inat.SHA256[inat.MODEL_FILE.name] in notice
    assert inat.verified(inat.MODEL_FILE)  # the published bytes


def test_a_damaged_backbone_file_is_refused(tmp_path, monkeypatch):
    damaged = tmp_path / inat.MODEL_FILE.name
    data = bytearray(inat.MODEL_FILE.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))
    with pytest.raises(integrity.ModelDamaged, match="sha256"):
        inat.verified(damaged)


def test_its_labels_are_964_species_and_background_each_named_in_the_ebird_taxonomy():
    labels = inat.labels()
    assert len(labels) == 965 and labels[inat.background_index()] == "background"
    keys = inat_fit.inat_keys()
    assert keys[inat.background_index()] is None
    assert all(k for i, k in enumerate(keys) if i != inat.background_index())
    # Renamed since 2017: the iNat label's species under today's name.
    assert keys[labels.index("Cyanocitta cristata (Blue Jay)")] == "blujay"


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    return inat.InatNet()


def photo_batch(n: int = 4, seed: int = 5) -> np.ndarray:
    from classifier.serving.engines import probe_batch

    return probe_batch(n, seed)


def test_the_derived_copy_is_the_published_network_with_two_more_outputs(net):
    from ai_edge_litert.interpreter import Interpreter

    batch = photo_batch(2)
    pooled, logits = net(batch)
    assert pooled.shape == (2, inat.FEATURE_SIZE) and logits.shape == (2, 965)
    published = Interpreter(model_path=str(inat.MODEL_FILE))
    published.allocate_tensors()
    (inp,), (out,) = published.get_input_details(), published.get_output_details()
    for image, row in zip(batch, logits, strict=True):
        published.set_tensor(inp["index"], image[None])
        published.invoke()
        scale, zero = out["quantization"]
        probs = (published.get_tensor(out["index"])[0].astype(np.float64) - zero) * scale
        ours = np.exp(row - row.max()) / np.exp(row - row.max()).sum()
        assert int(np.argmax(ours)) == int(np.argmax(probs))
        assert np.abs(ours - probs).max() < 0.02  # the softmax output is itself quantized to 1/256


def test_the_backbone_answers_the_same_whatever_the_batch_size(net):
    batch = photo_batch(6)
    together = net(batch)
    alone = [net(batch[i : i + 1]) for i in range(len(batch))]
    np.testing.assert_allclose(together[0], np.concatenate([a[0] for a in alone]), atol=1e-5)
    np.testing.assert_allclose(together[1], np.concatenate([a[1] for a in alone]), atol=1e-5)


def test_a_damaged_derived_copy_in_the_cache_is_made_again(tmp_path, monkeypatch):
    from classifier.serving import weights

    monkeypatch.setenv("BIRDSITE_CACHE", str(tmp_path))
    made = inat.multi_output_file()
    good = made.read_bytes()
    made.write_bytes(good[: len(good) // 3])
    assert inat.multi_output_file().read_bytes() == good
    assert made.parent == weights.cache_dir() / "litert"


def test_the_union_head_mixes_shared_species_and_scales_the_extra_ones():
    rng = np.random.default_rng(0)
    weights, bias = rng.normal(size=(inat.FEATURE_SIZE, 3)), rng.normal(size=3)
    head = UnionHead(weights, bias, extra_sources=((5,), (6, 7)), scale=2.0, shift=-1.0, shared=((1, (9,)),))
    pooled, logits = rng.normal(size=(4, inat.FEATURE_SIZE)), rng.normal(size=(4, 965))
    z = head.logits(pooled, logits)
    own = pooled @ weights + bias
    assert z.shape == (4, 5)
    # Our head runs in float32 (classifier/serving/backbones/union.py): equal to float64 within 1e-4.
    np.testing.assert_allclose(z[:, 0], own[:, 0], atol=1e-4)
    np.testing.assert_allclose(z[:, 1], np.logaddexp(own[:, 1], 2.0 * logits[:, 9] - 1.0), atol=1e-4)
    np.testing.assert_allclose(z[:, 3], 2.0 * logits[:, 5] - 1.0)
    np.testing.assert_allclose(z[:, 4], 2.0 * np.logaddexp(logits[:, 6], logits[:, 7]) - 1.0)


def test_a_union_head_survives_saving_and_loading(tmp_path):
    rng = np.random.default_rng(1)
    head = UnionHead(
        rng.normal(size=(inat.FEATURE_SIZE, 3)), rng.normal(size=3), ((5,), (6, 7)), 1.5, 0.5, ((2, (8, 9)),)
    )
    head.save(tmp_path)
    again = UnionHead.load(tmp_path)
    pooled, logits = rng.normal(size=(2, inat.FEATURE_SIZE)), rng.normal(size=(2, 965))
    np.testing.assert_allclose(again.logits(pooled, logits), head.logits(pooled, logits), rtol=1e-5)
    assert again.extra_sources == head.extra_sources and again.shared == head.shared


def test_the_background_probability_is_the_softmax_of_the_background_output():
    logits = np.zeros((1, 965))
    logits[0, inat.background_index()] = np.log(964.0)
    assert background_probability(logits)[0] == pytest.approx(0.5)


SMALL = ("Blue_Jay", "American_Goldfinch", "Mallard", "Scarlet_Tanager", "Cedar_Waxwing", "Gadwall")
V1_GATE = Path(__file__).resolve().parents[3] / "classifier" / "models" / "2026.12.02-mnv1-all"


@pytest.fixture(scope="module")
def small_data(tmp_path_factory, birds_dir) -> Path:
    from tests.classifier.conftest import link_cub_subset

    return link_cub_subset(tmp_path_factory.mktemp("data"), SMALL, per_species=20)


@pytest.fixture(scope="module")
def small_model(tmp_path_factory, small_data) -> tuple[Path, dict]:
    import json

    from classifier.catalog import Catalog
    from classifier.training.inat_train import train_inat

    out = tmp_path_factory.mktemp("models") / "small"
    result = train_inat(
        [small_data],
        out,
        catalog=Catalog.load(V1_GATE / "catalog.json"),
        version="test-inat",
        bird_gate=json.loads((V1_GATE / "config.json").read_text())["bird_gate"],
    )
    return out, result


@pytest.mark.shared
@pytest.mark.model
def test_a_small_union_model_trains_in_seconds_and_names_held_out_birds(small_model, small_data):
    """A few CUB species: trained, sealed, loaded through classifier.load and answering as a model does."""
    import classifier

    out, result = small_model
    assert result["held_out_all"]["all"]["top1"] >= 0.8
    assert set(result["held_out"]) == {"cub100"}
    integrity.verify_model(out)
    clf = classifier.load(out)
    assert clf.engine_name == "inat-uint8"
    photo = sorted((small_data / "Blue_Jay").iterdir())[-1]
    [answer] = clf.predict([photo])
    assert answer.is_bird
    assert "blujay" in [p.label for p in answer.predictions[:3]], answer.predictions
    # The species of its own head are there too: far more classes than the six it was trained on.
    assert len(clf.config.classes) > 600


@pytest.mark.shared
@pytest.mark.model
def test_retraining_from_corrections_adds_a_species_people_named_and_scores_the_base_alike(
    small_model, small_data, birds_dir, tmp_path
):
    import json

    from classifier.catalog import Catalog
    from classifier.training.corrections import Correction, train_with_corrections

    base, _ = small_model
    crows = sorted((birds_dir / "cub_originals" / "American_Crow").iterdir())[:12]
    result = train_with_corrections(
        [small_data],
        tmp_path / "retrained",
        corrections=[Correction(path, "amecro") for path in crows],
        catalog=Catalog.load(V1_GATE / "catalog.json"),
        version="test-inat-2",
        base_model_dir=base,
    )
    assert result["corrections"]["used"] == 12
    config = json.loads((tmp_path / "retrained" / "config.json").read_text())
    own = config["classes"][: config["own_classes"]]
    assert "amecro" in own and len(own) == len(SMALL) + 1
    catalog = Catalog.load(tmp_path / "retrained" / "catalog.json")
    assert catalog["amecro"].training_photos == 12
    assert set(result["base_held_out"]) == set(result["held_out"]) == {"cub100"}
    assert result["training_seconds"] < 300
