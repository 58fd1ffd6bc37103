"""Training and evaluation on a small real subset of the shared photos (no full training run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import classifier
from classifier.catalog import Catalog, build_catalog
from classifier.evaluation.evaluate import evaluate
from classifier.training.train import TrainOptions, train
from tests.classifier.conftest import link_cub_subset

pytestmark = [pytest.mark.model, pytest.mark.shared]

SPECIES = ("Blue_Jay", "Cedar_Waxwing", "American_Goldfinch", "Barn_Swallow")


@pytest.fixture(scope="module")
def small_dataset(birds_dir: Path, tmp_path_factory) -> Path:
    return link_cub_subset(tmp_path_factory.mktemp("data"), SPECIES)


@pytest.fixture(scope="module")
def trained(small_dataset: Path, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("models") / "test-model"
    options = TrainOptions(epochs=40, train_views=("orig", "flip"))
    metrics = train([small_dataset], out, catalog=build_catalog([small_dataset]), options=options)
    return out, metrics


def test_training_writes_a_model_directory_the_inference_api_loads(trained, small_dataset):
    model_dir, metrics = trained
    assert {"config.json", "catalog.json", "head.weights.h5", "metrics.json"} <= {
        p.name for p in model_dir.iterdir()
    }
    assert metrics["held_out"]["cub100"]["n"] == 4 * 3
    clf = classifier.load(model_dir)
    assert clf.model_version == "test-model"
    assert len(clf.config.classes) == len(SPECIES)
    photo = sorted((small_dataset / "Blue_Jay").iterdir())[0]
    [result] = clf.predict([photo])
    assert result.predictions[0].common_name == "Blue Jay"  # a training photo: it must know it


def test_each_species_record_says_how_many_photos_it_was_learned_from(trained):
    model_dir, _ = trained
    catalog = Catalog.load(model_dir / "catalog.json")
    # 20 photos a species: 3 held out for test; the refit trains on the other 17.
    assert {record.training_photos for record in catalog} == {17}
    config = json.loads((model_dir / "config.json").read_text())
    assert config["data"]["trained_photos"] == 4 * 17 and set(config["schedules"]) == {"head", "block13"}


def test_four_easy_species_are_learned_well_from_sixteen_photos_each(trained):
    _, metrics = trained
    assert metrics["held_out"]["cub100"]["top1"] >= 0.75


def test_the_seed_recipe_trains_without_augmentation_or_refit(small_dataset, tmp_path):
    out = tmp_path / "seed"
    metrics = train(
        [small_dataset],
        out,
        catalog=build_catalog([small_dataset]),
        options=TrainOptions(head="seed", epochs=8),
    )
    config = json.loads((out / "config.json").read_text())
    assert config["head"] == "seed" and config["tta_flip"] is False
    assert config["options"]["train_views"] == ["orig"] and metrics["refit_on_train_and_valid"] is False


def test_evaluation_writes_the_report_and_its_figures(trained, small_dataset, tmp_path):
    model_dir, _ = trained
    report = evaluate(model_dir, [small_dataset], tmp_path / "report")
    names = {p.name for p in (tmp_path / "report").iterdir()}
    assert {"report.json", "report.md", "reliability-cub100.png", "confusion-cub100.png"} <= names
    entry = report["datasets"]["cub100"]
    assert {"top1", "top5", "macro_f1", "ece", "bird_gate_pass_rate"} <= set(entry)
    assert entry["n"] == 12 and len(report["per_class"]) == len(SPECIES)
    assert report["non_birds"]["n"] >= 10


def test_the_shipped_model_trains_on_every_photo_for_the_split_models_schedules(
    trained, small_dataset, tmp_path
):
    split_dir, _ = trained
    like = json.loads((split_dir / "config.json").read_text())
    like["open_set"] = {"score": "max_probability", "thresholds": {"all": 0.25}, "slope": 3.0, "bias": 0.0}
    out = tmp_path / "every-photo"
    metrics = train(
        [small_dataset],
        out,
        catalog=build_catalog([small_dataset]),
        options=TrainOptions(epochs=40, train_views=("orig", "flip")),
        like=like,
    )
    config = json.loads((out / "config.json").read_text())
    assert config["data"]["trained_on"] == "every photo" and config["data"]["trained_photos"] == 4 * 20
    assert {record.training_photos for record in Catalog.load(out / "catalog.json")} == {20}
    assert config["schedules"] == like["schedules"] and config["temperature"] == like["temperature"]
    assert config["bird_gate"] == like["bird_gate"] and config["open_set"] == like["open_set"]
    assert metrics["trained_on_every_photo"] and metrics["held_out"] == {}


def test_a_split_run_for_a_chosen_schedule_trains_on_the_training_photos_alone(
    trained, small_dataset, tmp_path
):
    split_dir, _ = trained
    chosen = json.loads((split_dir / "config.json").read_text())["schedules"]
    chosen = {"head": chosen["head"][:5], "block13": chosen["block13"][:1]}
    out = tmp_path / "scheduled"
    options = TrainOptions(train_views=("orig", "flip"), refit=False)
    metrics = train(
        [small_dataset], out, catalog=build_catalog([small_dataset]), options=options, schedules=chosen
    )
    config = json.loads((out / "config.json").read_text())
    assert config["schedules"] == chosen and metrics["epochs"] == {"head": 5, "block13": 1}
    assert config["data"]["trained_on"] == "train" and config["data"]["trained_photos"] == 4 * 14
    assert metrics["held_out"]["cub100"]["n"] == 4 * 3 and 0 < config["temperature"] < 10
