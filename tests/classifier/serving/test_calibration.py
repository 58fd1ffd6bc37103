"""Per-group temperatures follow the top class's support; the logit adjustment moves few-photo classes up."""

from __future__ import annotations

import numpy as np

from classifier.serving.calibration import (
    Calibration,
    adjusted_logits,
    fit_group_temperatures,
    probabilities,
    softmax,
)

PHOTOS = np.array([4.0, 4.0, 49.0, 49.0])


def test_a_model_without_group_temperatures_keeps_its_one_temperature():
    logits = np.array([[2.0, 1.0, 0.5, 0.0]])
    calibrated = probabilities(logits, PHOTOS, Calibration(temperature=0.5))
    assert np.allclose(calibrated, softmax(logits, 0.5))


def test_the_top_class_s_support_group_picks_the_temperature_and_the_ranking_stays():
    calibration = Calibration(temperature=1.0, group_temperatures={"few": 4.0, "many": 0.5})
    logits = np.array([[3.0, 1.0, 2.0, 0.0], [1.0, 0.0, 3.0, 2.0]])
    probs = probabilities(logits, PHOTOS, calibration)
    assert np.allclose(probs[0], softmax(logits[:1], 4.0)[0])  # top is a 4-photo class: softer
    assert np.allclose(probs[1], softmax(logits[1:], 0.5)[0])
    assert (probs.argmax(1) == logits.argmax(1)).all()


def test_logit_adjustment_lets_a_few_photo_class_beat_a_close_well_photographed_look_alike():
    logits = np.array([[1.0, 0.0, 1.5, 0.0]])
    assert adjusted_logits(logits, PHOTOS, 0.0).argmax() == 2
    assert adjusted_logits(logits, PHOTOS, 0.5).argmax() == 0  # 1 - .5 ln 4 > 1.5 - .5 ln 49


def test_fitted_group_temperatures_soften_an_overconfident_group():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 400)
    logits = rng.normal(size=(400, 4)) * 0.1
    logits[np.arange(400), 0] += 8.0  # always sure of class 0 (a few-photo class), right 1 time in 4
    temps = fit_group_temperatures(logits, y, PHOTOS)
    assert temps["few"] > 5 and "many" not in temps


def test_a_union_models_own_head_species_get_their_own_temperature() -> None:
    groups = {"few": 0.5, "many": 1.0, "inat": 2.0}
    setting = Calibration(temperature=1.0, group_temperatures=groups, extra_from=2)
    photos = np.array([3.0, 40.0, 0.0])  # a few-photo class, a many-photo class, an iNat-only species
    logits = np.array([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]])
    probs = probabilities(logits, photos, setting)
    expected = [np.exp(2 / t) / (np.exp(2 / t) + 2) for t in (0.5, 1.0, 2.0)]
    np.testing.assert_allclose(probs.max(axis=1), expected)
