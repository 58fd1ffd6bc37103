"""Confidence that means the same on photos from elsewhere: logit adjustment and per-group temperatures.

A model is more sure of itself on the collection it learned from than it deserves on anyone else's photos,
and most of all for the species it learned from a handful of photos. The temperatures here are fitted on
the cross-collection split (classifier/research/crossval.py): one for taxa learned from few photos, one for
the
rest, picked by the top class, so the ranking of classes never changes through them. The logit adjustment
(``logit − tau · log(training photos)``) shifts the ranking itself, against or towards well-photographed
look-alikes; it is fitted on the same split.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

# A taxon learned from at most this many photos is "few-shot": calibrated as a group of its own.
FEW_PHOTOS = 5


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def nll(logits: np.ndarray, y: np.ndarray, temperature: float) -> float:
    p = softmax(logits, temperature)[np.arange(len(y)), y]
    return float(-np.log(np.clip(p, 1e-12, None)).mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising validation NLL (golden-section search on log T)."""
    lo, hi = np.log(0.005), np.log(50.0)
    ratio = (np.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    for _ in range(60):
        if nll(logits, y, np.exp(a)) < nll(logits, y, np.exp(b)):
            hi, b = b, a
            a = hi - ratio * (hi - lo)
        else:
            lo, a = a, b
            b = lo + ratio * (hi - lo)
    return float(np.exp((lo + hi) / 2))


@dataclass(frozen=True)
class Calibration:
    temperature: float  # one for every class (fitted on the model's own validation photos)
    group_temperatures: dict[str, float] = field(default_factory=dict)  # "few"/"many" -> T
    logit_adjustment: float = 0.0  # tau
    few_photos_max: int = FEW_PHOTOS
    # Union models: classes from this index on are the backbone head's own, with temperature "inat".
    extra_from: int | None = None

    @classmethod
    def from_config(cls, config: dict) -> Calibration:
        raw = config.get("calibration") or {}
        return cls(
            temperature=float(config["temperature"]),
            group_temperatures={k: float(v) for k, v in raw.get("group_temperatures", {}).items()},
            logit_adjustment=float(raw.get("logit_adjustment", 0.0)),
            few_photos_max=int(raw.get("few_photos_max", FEW_PHOTOS)),
            extra_from=config.get("own_classes"),
        )

    def as_config(self) -> dict:
        return {
            "group_temperatures": self.group_temperatures,
            "logit_adjustment": self.logit_adjustment,
            "few_photos_max": self.few_photos_max,
        }


def adjusted_logits(logits: np.ndarray, training_photos: np.ndarray, tau: float) -> np.ndarray:
    """``logit − tau · log(photos)`` per class; a class of unknown count counts as one photo."""
    if not tau:
        return logits
    return logits - tau * np.log(np.maximum(training_photos, 1))[None, :]


def probabilities(logits: np.ndarray, training_photos: np.ndarray, calibration: Calibration) -> np.ndarray:
    """Calibrated class probabilities for ``(N, classes)`` logits; ``training_photos`` per class."""
    z = adjusted_logits(np.asarray(logits, dtype=np.float64), training_photos, calibration.logit_adjustment)
    if not calibration.group_temperatures:
        return softmax(z, calibration.temperature)
    temperature = group_temperature(z.argmax(axis=1), training_photos, calibration)[:, None]
    return softmax(z / temperature)


def group_temperature(top: np.ndarray, training_photos: np.ndarray, calibration: Calibration) -> np.ndarray:
    """Per photo, the temperature of its top class's group: "few", "many", or "inat" (a union model's
    species that only the backbone's head knows)."""
    groups = calibration.group_temperatures
    few = np.asarray(training_photos) <= calibration.few_photos_max
    t_few = groups.get("few", calibration.temperature)
    t_many = groups.get("many", calibration.temperature)
    temperature = np.where(few[top], t_few, t_many)
    if calibration.extra_from is not None and "inat" in groups:
        temperature = np.where(top >= calibration.extra_from, groups["inat"], temperature)
    return temperature


def class_photos(classes: Sequence[str], catalog) -> np.ndarray:
    """Training photos per class in the model's class order (0 where the catalog does not say)."""
    return np.array([catalog[c].training_photos or 0 for c in classes], dtype=np.float64)


def fit_group_temperatures(
    logits: np.ndarray, y: np.ndarray, training_photos: np.ndarray, few_photos_max: int = FEW_PHOTOS
) -> dict[str, float]:
    """One temperature per support-size group of the photo's top class, minimising that group's NLL."""
    few = training_photos <= few_photos_max
    top_is_few = few[logits.argmax(axis=1)]
    fitted = {}
    for group, rows in (("few", top_is_few), ("many", ~top_is_few)):
        if rows.sum() >= 10:  # fewer photos than that fit noise, not a temperature
            fitted[group] = fit_temperature(logits[rows], y[rows])
    return fitted


@lru_cache(maxsize=8)
def for_model(model_dir: Path) -> Callable[[np.ndarray], np.ndarray]:
    """``logits -> calibrated probabilities`` for a model directory: its temperature, and the per-group
    temperatures and logit adjustment when its config has them (a model without them is unchanged)."""
    from classifier.catalog import Catalog

    config = json.loads((Path(model_dir) / "config.json").read_text())
    calibration = Calibration.from_config(config)
    photos = class_photos(config["classes"], Catalog.load(Path(model_dir) / "catalog.json"))
    return lambda logits: probabilities(logits, photos, calibration)
