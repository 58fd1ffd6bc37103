"""Accuracy and calibration measures."""

from __future__ import annotations

import numpy as np

from classifier.evaluation import metrics
from classifier.serving.calibration import fit_temperature, softmax


def test_a_perfectly_calibrated_predictor_has_no_calibration_error():
    rng = np.random.default_rng(0)
    n, confidence = 20_000, 0.7
    probs = np.tile([confidence, 1 - confidence], (n, 1))
    y = (rng.random(n) > confidence).astype(int)  # class 0 right 70% of the time
    assert metrics.expected_calibration_error(probs, y) < 0.02


def test_an_overconfident_predictor_has_a_large_calibration_error():
    probs = np.tile([0.99, 0.01], (1000, 1))
    y = np.array([0, 1] * 500)
    assert abs(metrics.expected_calibration_error(probs, y) - 0.49) < 0.01


def test_temperature_scaling_recovers_the_temperature_that_made_the_logits_overconfident():
    rng = np.random.default_rng(3)
    true_logits = rng.normal(0, 2, (5000, 10))
    y = np.array([rng.choice(10, p=p) for p in softmax(true_logits)])
    fitted = fit_temperature(true_logits * 3.0, y)
    assert abs(fitted - 3.0) < 0.3


def test_top_k_accuracy_counts_a_hit_anywhere_in_the_first_k():
    probs = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]])
    y = np.array([1, 0])
    assert metrics.top_k_accuracy(probs, y, 1) == 0.0
    assert metrics.top_k_accuracy(probs, y, 2) == 0.5
    assert metrics.top_k_accuracy(probs, y, 3) == 1.0
