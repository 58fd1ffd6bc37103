"""Whether a bird is one of the model's species at all: a cheap open-set score and its threshold.

A softmax always sums to one over the classes the model knows, so a photo of a species it never learned
still gets a "best" class, often with a high probability. The scores here come from the same forward pass
(no second network run): the cosine head's largest similarity (``max logit / scale``), the energy
(``logsumexp`` of the logits) and the largest calibrated probability. Which one a model uses, and below
which value a bird is answered "a species the model may not know", is in its ``config.json``
(``open_set``), chosen on validation photos by ``python -m classifier evaluate-open-set``
(classifier/evaluation/openset.py). A model without it never answers "unknown".

The threshold may differ by support-size group of the top class: a species learned from three photos sits
further from its own photos than one learned from forty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

SCORES = ("max_cosine", "energy", "max_probability")
ALL = "all"  # the group key of a threshold that serves every top class


def scores(logits: np.ndarray, probs: np.ndarray, scale: float = 1.0) -> dict[str, np.ndarray]:
    """Every candidate score, higher = more likely a known species, for ``(N, classes)`` raw logits (after
    flip averaging) and their calibrated probabilities."""
    logits = np.asarray(logits, dtype=np.float64)
    top = logits.max(axis=1)
    energy = top + np.log(np.exp(logits - top[:, None]).sum(axis=1))
    return {
        "max_cosine": top / scale,
        "energy": energy,
        "max_probability": np.asarray(probs, dtype=np.float64).max(axis=1),
    }


def group_of(training_photos: float | None, few_photos_max: int) -> str:
    """ "few" or "many" for the top class's training photos; "all" where the catalog does not count them."""
    if not training_photos:
        return ALL
    return "few" if training_photos <= few_photos_max else "many"


@dataclass(frozen=True)
class OpenSet:
    """A model's open-set rule: ``score`` below ``thresholds[group of the top class]`` (or
    ``thresholds["all"]``) is "unknown"; ``P(known) = sigmoid(slope · (score − threshold) + bias)``."""

    score: str
    thresholds: dict[str, float]
    slope: float = 1.0
    bias: float = 0.0
    scale: float = 1.0  # the cosine head's learned scale (for "max_cosine" from logits)
    few_photos_max: int = 5
    notes: dict = field(default_factory=dict)  # how it was chosen (the card has the numbers)

    def __post_init__(self) -> None:
        if self.score not in SCORES:
            raise ValueError(f"unknown open-set score {self.score!r}; choose one of {SCORES}")
        if not self.thresholds:
            raise ValueError("an open-set rule needs at least one threshold")

    @classmethod
    def from_config(cls, config: dict) -> OpenSet | None:
        """The rule in a model's config, or None when it has none (older models: never "unknown")."""
        raw = config.get("open_set")
        if not raw or not raw.get("thresholds"):
            return None
        return cls(
            score=raw["score"],
            thresholds={k: float(v) for k, v in raw["thresholds"].items()},
            slope=float(raw.get("slope", 1.0)),
            bias=float(raw.get("bias", 0.0)),
            scale=float(raw.get("scale", 1.0)),
            few_photos_max=int(raw.get("few_photos_max", 5)),
            notes=dict(raw.get("notes", {})),
        )

    def as_config(self) -> dict:
        return {
            "score": self.score,
            "thresholds": self.thresholds,
            "slope": self.slope,
            "bias": self.bias,
            "scale": self.scale,
            "few_photos_max": self.few_photos_max,
            "notes": self.notes,
        }

    def threshold(self, training_photos: float | None) -> float:
        group = group_of(training_photos, self.few_photos_max)
        return self.thresholds.get(group, self.thresholds.get(ALL, min(self.thresholds.values())))

    def score_of(self, logits: np.ndarray, probs: np.ndarray) -> np.ndarray:
        return scores(np.atleast_2d(logits), np.atleast_2d(probs), self.scale)[self.score]


@dataclass(frozen=True)
class Known:
    """One bird's open-set verdict: its score, and whether it falls below the threshold."""

    score: float
    unknown: bool = False
    probability: float | None = None  # calibrated P(known species); None without a rule


def judge(logits: np.ndarray, probs: np.ndarray, rule: OpenSet | None, top_photos: float | None) -> Known:
    """The verdict for one bird's logits and calibrated probabilities; ``top_photos``: the training photos
    of its top class. Without a rule the score is the largest calibrated probability and never unknown."""
    if rule is None:
        return Known(score=float(np.max(probs)))
    score = float(rule.score_of(logits, probs)[0])
    threshold = rule.threshold(top_photos)
    return Known(
        score=score,
        unknown=score < threshold,
        probability=_sigmoid(rule.slope * (score - threshold) + rule.bias),
    )


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
