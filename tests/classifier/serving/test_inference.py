"""The shipped model through the inference API the web service uses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from classifier.datasets.samples import catalog_resolver, load_samples

pytestmark = pytest.mark.model

FIELDS = {"label", "common_name", "scientific_name", "confidence", "wikipedia_url", "ebird_code", "rank"}


def held_out_photos(clf, birds_dir: Path, per_dataset: int) -> list[tuple[Path, str]]:
    """Photos of the model's own test split (never trained on), with their catalog keys."""
    config = json.loads((clf.config.path / "config.json").read_text())["data"]
    samples = load_samples(
        [birds_dir / name for name in config["dirs"]],
        catalog_resolver(clf.catalog),
        seed=config["split_seed"],
        valid_fraction=config["valid_fraction"],
        test_fraction=config["test_fraction"],
    )
    chosen: list[tuple[Path, str]] = []
    for source in config["dirs"]:
        test = [s for s in samples if s.split == "test" and s.source == source]
        step = max(1, len(test) // per_dataset)
        chosen += [(s.path, s.label) for s in test[::step][:per_dataset]]
    return chosen


@pytest.mark.shared
def test_it_names_held_out_cub_birds_far_better_than_chance(shipped_classifier, birds_dir):
    photos = [p for p in held_out_photos(shipped_classifier, birds_dir, 40) if "cub100" in str(p[0])]
    results = shipped_classifier.predict([path for path, _ in photos])
    top1 = np.mean([r.predictions[0].label == label for r, (_, label) in zip(results, photos, strict=True)])
    assert top1 >= 0.7, f"top-1 {top1:.2f} on {len(photos)} held-out CUB photos"
    assert np.mean([r.is_bird for r in results]) >= 0.9


@pytest.mark.shared
def test_it_returns_the_documented_fields_best_first(shipped_classifier, bird_photo):
    [result] = shipped_classifier.predict([bird_photo.read_bytes()], top_k=5)
    shape = result.to_dict()  # the JSON the README documents
    assert set(shape) == {"is_bird", "bird_score", "predictions", "model_version", "birds"}
    assert set(shape["birds"][0]) == {"box", "bird_score", "is_bird", "predictions", "answer"}
    assert result.model_version == shipped_classifier.model_version
    assert len(result.predictions) == 5
    # training_photos comes with models whose catalog counts them (trained after 2026-12-01)
    assert all(set(p) - {"training_photos", "learned_from"} == FIELDS for p in shape["predictions"])
    confidences = [p.confidence for p in result.predictions]
    assert confidences == sorted(confidences, reverse=True) and sum(confidences) <= 1.0 + 1e-6
    assert result.predictions[0].wikipedia_url.startswith("https://en.wikipedia.org/wiki/")


@pytest.mark.shared
def test_bytes_paths_and_pil_images_give_the_same_answer(shipped_classifier, bird_photo):
    as_bytes, as_path, as_pil = shipped_classifier.predict(
        [bird_photo.read_bytes(), bird_photo, Image.open(bird_photo)]
    )
    assert as_bytes == as_path == as_pil


def test_it_finds_no_bird_in_a_cup_of_coffee_or_a_rocket(shipped_classifier):
    import skimage.data

    results = shipped_classifier.predict(
        [Image.fromarray(skimage.data.coffee()), Image.fromarray(skimage.data.rocket())]
    )
    assert [r.is_bird for r in results] == [False, False]


@pytest.mark.shared
def test_a_rotated_photo_is_turned_upright_before_classifying(shipped_classifier, bird_photo, tmp_path):
    upright = Image.open(bird_photo).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 8  # stored rotated: viewers turn it back by 90°
    path = tmp_path / "rotated.jpg"
    upright.rotate(-90, expand=True).save(path, exif=exif.tobytes(), quality=95)
    [from_exif] = shipped_classifier.predict([path])
    [reference] = shipped_classifier.predict([upright])
    assert from_exif.predictions[0].label == reference.predictions[0].label


@pytest.mark.shared
def test_the_command_line_prints_one_json_object_per_image_and_survives_a_broken_file(bird_photo, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "classifier",
            "predict",
            "--json",
            "--top-k",
            "3",
            str(broken),
            str(bird_photo),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    first, second = [json.loads(line) for line in result.stdout.splitlines()]
    assert first["path"] == str(broken) and "not a readable image" in first["error"]
    assert set(second) == {"path", "is_bird", "bird_score", "predictions", "model_version", "birds"}
    assert len(second["predictions"]) == 3
    assert "Traceback" not in result.stderr


def test_the_package_imports_without_tensorflow():
    code = "import sys, classifier; classifier.default_catalog(); print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr[-2000:]


def test_load_refuses_a_bad_option_before_loading_anything():
    import classifier

    with pytest.raises(ValueError, match="engine"):
        classifier.load(engine="onnx")
    with pytest.raises(ValueError, match="threads"):
        classifier.load(threads=0)


@pytest.mark.shared
def test_auto_serves_int8_exactly_where_the_cpu_has_int8_dot_products(auto_classifier, birds_dir):
    from classifier.serving import int8

    expected = "int8" if int8.int8_dot_product() else "litert"
    assert auto_classifier.engine_name == expected, int8.int8_dot_product()
