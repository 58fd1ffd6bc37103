"""Open-set measures: how well a score tells known species from unknown ones, and the rule chosen on it.

The threshold rule needs only known photos: the highest score that turns at most ``KNOWN_LOSS_BUDGET`` of
the validation photos named right into "unknown" (per support-size group where that is the rule). That is
why it transfers to a model trained on every species: the same rule is applied to its own held-out photos.
The leave-species-out run that measures it (``evaluate-open-set``) is ``classifier/research/leave_out.py``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from classifier.datasets.samples import Sample
from classifier.serving import openset, ranks
from classifier.serving.openset import ALL, OpenSet, group_of

log = logging.getLogger(__name__)

LEAVE_OUT = 0.15  # share of taxa removed from training
KNOWN_LOSS_BUDGET = 0.015  # the issue allows 2 points of top-1; half a point is kept for the test split
UNKNOWN_VALID, UNKNOWN_TEST = "unknown-valid", "unknown-test"
TRADEOFF = (0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)  # lines of the top probability to report


def leave_out(samples: Sequence[Sample], *, seed: int, share: float = LEAVE_OUT) -> list[Sample]:
    """The samples with a seeded ``share`` of taxa out of training: their photos, all of them, become
    ``unknown-valid`` (half of those taxa) or ``unknown-test`` (the other half); the rest keep their split."""
    taxa = sorted({s.label for s in samples})
    out = random.Random(f"open-set:{seed}").sample(taxa, max(2, round(len(taxa) * share)))
    valid_taxa = set(out[: len(out) // 2])
    left = set(out)
    return [
        replace(s, split=(UNKNOWN_VALID if s.label in valid_taxa else UNKNOWN_TEST)) if s.label in left else s
        for s in samples
    ]


def auroc(known: np.ndarray, unknown: np.ndarray) -> float:
    """P(a known photo scores above an unknown one), ties counting half (Mann-Whitney)."""
    if not len(known) or not len(unknown):
        return float("nan")
    both = np.concatenate([known, unknown])
    order = both.argsort(kind="mergesort")
    ranked = np.empty(len(both))
    ranked[order] = np.arange(1, len(both) + 1)
    for value in np.unique(both[np.diff(np.sort(both), prepend=np.nan) == 0]):  # average tied ranks
        ranked[both == value] = ranked[both == value].mean()
    return float(
        (ranked[: len(known)].sum() - len(known) * (len(known) + 1) / 2) / (len(known) * len(unknown))
    )


def loss_threshold(scores: np.ndarray, correct: np.ndarray, budget: float = KNOWN_LOSS_BUDGET) -> float:
    """The highest threshold that rejects (``score < threshold``) at most ``budget`` of all these photos
    among those named right; ``-inf`` when there are none."""
    right = np.sort(scores[correct])
    if not len(right):
        return float("-inf")
    k = int(np.floor(budget * len(scores)))
    return float(right[min(k, len(right) - 1)])


def fit_thresholds(
    scores: np.ndarray,
    correct: np.ndarray,
    groups: np.ndarray,
    *,
    per_group: bool,
    budget: float = KNOWN_LOSS_BUDGET,
) -> dict[str, float]:
    """The threshold of every group (or one for all), from known photos only."""
    if not per_group:
        return {ALL: loss_threshold(scores, correct, budget)}
    kept = [str(g) for g in np.unique(groups) if g != ALL]
    return {g: loss_threshold(scores[groups == g], correct[groups == g], budget) for g in kept}


def fit_logistic(x: np.ndarray, known: np.ndarray, steps: int = 50) -> tuple[float, float]:
    """``slope, bias`` of ``P(known) = sigmoid(slope · x + bias)`` by Newton's method (a tiny ridge keeps it
    finite when the two sets barely overlap)."""
    w = np.zeros(2)
    design = np.stack([x, np.ones_like(x)], axis=1)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(design @ w, -30, 30)))
        grad = design.T @ (p - known) + 1e-3 * w
        hess = (design * (p * (1 - p))[:, None]).T @ design + 1e-3 * np.eye(2)
        w -= np.linalg.solve(hess, grad)
    return float(w[0]), float(w[1])


@dataclass
class Scored:
    """Held-out photos of one run: logits, calibrated probabilities, label (-1 = unknown species) and the
    training photos of each class."""

    logits: np.ndarray
    probs: np.ndarray
    y: np.ndarray
    training_photos: np.ndarray
    scale: float

    def groups(self, few_photos_max: int) -> np.ndarray:
        top = self.probs.argmax(axis=1)
        return np.array([group_of(self.training_photos[t], few_photos_max) for t in top])

    def rows(self, mask: np.ndarray) -> Scored:
        return Scored(self.logits[mask], self.probs[mask], self.y[mask], self.training_photos, self.scale)


def outcomes(data: Scored, rule: OpenSet | None, classes: Sequence[str], catalog) -> dict:
    """What the answers say on these photos under ``rule`` (None: no open-set rule)."""
    known = data.y >= 0
    top = data.probs.argmax(axis=1)
    answers = []
    for i in range(len(data.y)):
        verdict = openset.judge(data.logits[i], data.probs[i], rule, data.training_photos[top[i]])
        answers.append(ranks.answer(data.probs[i], classes, catalog, known=verdict))
    unknown = np.array([a["kind"] == "unknown" for a in answers])
    sure = np.array([a["kind"] == "species" and a["confidence"] >= ranks.SPECIES_MIN for a in answers])
    right = top == data.y
    return {
        "photos": {"known": int(known.sum()), "unknown": int((~known).sum())},
        "unknown_answered_unknown": _share(unknown[~known]),
        "unknown_answered_sure_species": _share(sure[~known]),
        "known_answered_unknown": _share(unknown[known]),
        "known_top1": _share(right[known]),
        "known_top1_after": _share((right & ~unknown)[known]),
        "known_top1_lost": _share((right & unknown)[known]),
    }


def _share(mask: np.ndarray) -> float | None:
    return round(float(mask.mean()), 4) if len(mask) else None


def choose(valid: Scored, few_photos_max: int) -> tuple[OpenSet, list[dict]]:
    """Every score, with one threshold or one per support-size group, on validation; the rule kept is the
    one whose unknown photos are least often answered as a confident species (AUROC breaks ties)."""
    known = valid.y >= 0
    groups = valid.groups(few_photos_max)
    correct = (valid.probs.argmax(axis=1) == valid.y) & known
    candidates = []
    for name, score in openset.scores(valid.logits, valid.probs, valid.scale).items():
        for per_group in (False, True):
            thresholds = fit_thresholds(score[known], correct[known], groups[known], per_group=per_group)
            rule = OpenSet(name, thresholds, scale=valid.scale, few_photos_max=few_photos_max)
            at = np.array([rule.threshold(valid.training_photos[t]) for t in valid.probs.argmax(axis=1)])
            rejected = score < at
            sure = valid.probs.max(axis=1) >= ranks.SPECIES_MIN
            candidates.append(
                {
                    "score": name,
                    "per_group": per_group,
                    "thresholds": thresholds,
                    "auroc": round(auroc(score[known], score[~known]), 4),
                    "unknown_answered_sure_species": _share((sure & ~rejected)[~known]),
                    "known_top1_lost": _share((correct & rejected)[known]),
                    "rule": rule,
                }
            )
    # AUROC first: at a small top-1 budget every score leaves about as many unknown photos "sure", so that
    # share is too flat to choose by; the ranking quality is what the threshold can use. Then the sure
    # share, then one threshold over per-group ones.
    best = min(
        candidates, key=lambda c: (-c["auroc"], c["unknown_answered_sure_species"] or 0, c["per_group"])
    )
    rule = best["rule"]
    score = rule.score_of(valid.logits, valid.probs)
    at = np.array([rule.threshold(valid.training_photos[t]) for t in valid.probs.argmax(axis=1)])
    slope, bias = fit_logistic(score - at, known.astype(float))
    rule = replace(rule, slope=slope, bias=bias)
    return rule, [{k: v for k, v in c.items() if k != "rule"} for c in candidates]


def tradeoff(data: Scored, rule: OpenSet, lines: Sequence[float] = TRADEOFF) -> list[dict]:
    """What stricter lines (in the rule's score) would cost: known top-1 lost and unknown photos still
    answered as a sure species, if everything below the line were "unknown"."""
    score = rule.score_of(data.logits, data.probs)
    known, right = data.y >= 0, data.probs.argmax(axis=1) == data.y
    sure = data.probs.max(axis=1) >= ranks.SPECIES_MIN
    return [
        {
            "line": line,
            "known_top1_lost": _share((right & (score < line))[known]),
            "unknown_answered_sure_species": _share((sure & (score >= line))[~known]),
            "unknown_answered_unknown": _share((score < line)[~known]),
        }
        for line in lines
    ]


def split_scores(data: Scored, rule: OpenSet) -> tuple[np.ndarray, np.ndarray]:
    score = rule.score_of(data.logits, data.probs)
    return score[data.y >= 0], score[data.y < 0]
