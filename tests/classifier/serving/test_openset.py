"""The open-set decision: a bird scoring below its model's threshold is "a species the model may not know"."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from classifier.catalog import Species
from classifier.datasets.samples import Sample
from classifier.evaluation.openset import auroc, fit_logistic, leave_out, loss_threshold
from classifier.result import UNKNOWN_NAME, AnswerKind
from classifier.serving import openset
from classifier.serving.config import ModelConfig
from classifier.serving.openset import Known, OpenSet, judge
from classifier.serving.ranks import answer

REPO = Path(__file__).resolve().parents[3]


def record(key: str, scientific: str, family: str, photos: int | None = None) -> Species:
    return Species(key, key.title(), scientific, key, "species", "", (), family, training_photos=photos)


CATALOG = {
    r.key: r
    for r in (
        record("towwar", "Setophaga townsendi", "Parulidae", 40),
        record("btnwar", "Setophaga virens", "Parulidae", 3),
        record("amecro", "Corvus brachyrhynchos", "Corvidae", 40),
        record("comrav", "Corvus corax", "Corvidae", 3),
    )
}
CLASSES = list(CATALOG)
RULE = OpenSet("max_cosine", {"all": 0.5}, slope=10.0, scale=20.0)


def test_a_bird_below_the_threshold_is_answered_unknown_with_the_closest_known_taxa():
    probs = np.array([0.45, 0.1, 0.3, 0.15])  # no genus holds 0.6
    verdict = judge(np.array([8.0, 2.0, 6.0, 4.0]), probs, RULE, 40)  # max cosine 0.4 < 0.5
    result = answer(probs, CLASSES, CATALOG, known=verdict)
    assert result.kind == "unknown" and result.common_name == UNKNOWN_NAME
    assert result.label is None and result.rank is None and result.scientific_name is None
    assert [c.label for c in result.closest] == ["towwar", "amecro", "comrav"]
    assert result.closest[0].confidence == 0.45
    assert 0 < result.confidence < 0.5  # P(known) below the threshold is under a half
    assert result.known_score == pytest.approx(0.4)


def test_a_bird_above_the_threshold_keeps_its_species_answer():
    probs = np.array([0.9, 0.05, 0.03, 0.02])
    verdict = judge(np.array([16.0, 6.0, 2.0, 1.0]), probs, RULE, 40)  # max cosine 0.8
    result = answer(probs, CLASSES, CATALOG, known=verdict)
    assert result.kind == "species" and result.label == "towwar"
    assert result.known_score == pytest.approx(0.8)


def test_without_a_rule_a_bird_is_never_unknown_and_the_known_score_is_its_top_probability():
    probs = np.array([0.3, 0.3, 0.2, 0.2])
    verdict = judge(np.array([1.0, 1.0, 0.5, 0.5]), probs, None, 40)
    assert not verdict.unknown
    result = answer(probs, CLASSES, CATALOG, known=verdict)
    assert result.kind != "unknown" and result.known_score == 0.3
    assert answer(probs, CLASSES, CATALOG).known_score == 0.3


def test_a_genus_holding_most_of_the_mass_is_answered_before_unknown():
    spread = np.array([0.4, 0.35, 0.15, 0.1])  # the Setophaga genus holds 0.75
    result = answer(spread, CLASSES, CATALOG, known=Known(0.1, unknown=True, probability=0.2))
    assert (result.kind, result.scientific_name) == ("higher_taxon", "Setophaga")
    assert result.known_score == 0.1


def test_every_kind_is_in_the_stable_enum():
    assert tuple(AnswerKind) == ("species", "higher_taxon", "unknown")
    spread = np.array([0.4, 0.35, 0.15, 0.1])  # the Setophaga genus holds 0.75
    kinds = {
        answer(spread, CLASSES, CATALOG).kind,
        answer(np.array([0.9, 0.05, 0.03, 0.02]), CLASSES, CATALOG).kind,
        answer(np.array([0.3, 0.2, 0.3, 0.2]), CLASSES, CATALOG, known=Known(0.1, True, 0.2)).kind,
    }
    assert kinds == set(AnswerKind)


def test_the_threshold_of_the_top_class_support_group_applies():
    rule = OpenSet("max_cosine", {"few": 0.3, "many": 0.6}, scale=10.0, few_photos_max=5)
    logits = np.array([5.0, 1.0, 0.0, 0.0])  # max cosine 0.5
    probs = np.array([0.9, 0.05, 0.03, 0.02])
    assert judge(logits, probs, rule, 3).unknown is False  # learned from 3 photos: 0.5 >= 0.3
    assert judge(logits, probs, rule, 40).unknown is True  # learned from 40: 0.5 < 0.6
    assert not judge(logits, probs, OpenSet("max_cosine", {"all": 0.3}, scale=10.0), None).unknown


def test_the_scores_are_the_top_cosine_the_energy_and_the_top_probability():
    logits = np.array([[10.0, 0.0], [4.0, 4.0]])
    probs = np.array([[0.99, 0.01], [0.5, 0.5]])
    got = openset.scores(logits, probs, scale=20.0)
    assert got["max_cosine"].tolist() == [0.5, 0.2]
    assert got["energy"][1] == pytest.approx(4.0 + np.log(2))
    assert got["max_probability"].tolist() == [0.99, 0.5]


def test_an_unknown_score_name_is_refused():
    with pytest.raises(ValueError, match="open-set score"):
        OpenSet("entropy", {"all": 0.5})


def test_the_rule_survives_the_model_config_and_a_config_without_it_has_none(tmp_path: Path):
    config = json.loads((REPO / "classifier/models/2026.11.29-mnv1-cos/config.json").read_text())
    config.pop("open_set", None)
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert ModelConfig.read(tmp_path).open_set is None
    config["open_set"] = RULE.as_config()
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert ModelConfig.read(tmp_path).open_set == RULE


def test_the_loss_threshold_turns_at_most_the_budget_of_right_answers_unknown():
    rng = np.random.default_rng(0)
    scores = rng.uniform(size=1000)
    correct = rng.uniform(size=1000) < 0.8
    threshold = loss_threshold(scores, correct, budget=0.02)
    assert (correct & (scores < threshold)).mean() <= 0.02
    assert (correct & (scores < threshold)).mean() > 0.015  # and not far less: the highest such line


def test_auroc_is_one_when_known_photos_all_score_higher_and_a_half_for_ties():
    assert auroc(np.array([0.9, 0.8]), np.array([0.1, 0.2])) == 1.0
    assert auroc(np.array([0.1, 0.2]), np.array([0.9, 0.8])) == 0.0
    assert auroc(np.array([0.5, 0.5]), np.array([0.5])) == 0.5


def test_the_probability_of_known_rises_with_the_score():
    x = np.concatenate(
        [np.random.default_rng(1).normal(1, 1, 200), np.random.default_rng(2).normal(-1, 1, 200)]
    )
    slope, bias = fit_logistic(x, np.concatenate([np.ones(200), np.zeros(200)]))
    assert slope > 1 and abs(bias) < 0.5


def test_left_out_species_lose_every_photo_from_training_and_split_by_species():
    samples = [
        Sample(Path(f"{label}/{i}.jpg"), "cub100", label, label, split)
        for label in [f"sp{n:02d}" for n in range(40)]
        for i, split in enumerate(["train", "train", "valid", "test"])
    ]
    out = leave_out(samples, seed=7)
    left = {s.label for s in out if s.split.startswith("unknown")}
    assert len(left) == 6  # 15 % of 40
    assert not any(s.split in ("train", "valid", "test") for s in out if s.label in left)
    valid_taxa = {s.label for s in out if s.split == "unknown-valid"}
    test_taxa = {s.label for s in out if s.split == "unknown-test"}
    assert valid_taxa and test_taxa and not valid_taxa & test_taxa
    assert leave_out(samples, seed=7) == out
