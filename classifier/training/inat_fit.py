"""Fitting the union head on iNat features: our linear head, and the scale that puts the iNat head's
logits beside ours (``classifier/serving/backbones/union.py``).

The scale is fitted where it matters, on species our head did not learn: a seeded share of our taxa that the
iNat head also knows is left out of a head trained on the training photos; on the validation photos, those
species can only be answered through the iNat logits, the others through ours. ``scale``, ``shift`` and the
temperature minimise the log loss of both kinds together, weighted ``UNKNOWN_WEIGHT`` : 1 — about half of
real photos show a species outside our collections (measured on real photos, see the model card).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from classifier.serving.backbones import inat
from classifier.serving.backbones.union import UnionHead

LEAVE_OUT_SHARE = 0.3
LEAVE_OUT_SEED = 20261207
# Chosen on validation (0.25, 0.5, 1.0): the highest known top-1 whose left-out species still reach 0.75.
UNKNOWN_WEIGHT = 0.25
DEFAULT_C = 0.2  # inverse L2 strength, chosen on the validation split (0.05, 0.2, 1.0: 0.872/0.874/0.875)


def inat_keys() -> list[str | None]:
    """Per iNat output, the catalog key (eBird code) of its species today; None for ``background``."""
    from classifier.catalog.taxonomy import taxonomy

    tax = taxonomy()
    keys: list[str | None] = []
    for label in inat.labels():
        if label == inat.BACKGROUND:
            keys.append(None)
            continue
        scientific, common = label.split(" (", 1)
        match = tax.match([common.rstrip(")")], [scientific])
        keys.append(match.taxon.key if match else None)
    return keys


def extra_species(ours: Sequence[str], keys: Sequence[str | None]) -> tuple[list[str], list[tuple[int, ...]]]:
    """The species only the iNat head knows (catalog keys, first-seen order) and the iNat outputs of each."""
    own = set(ours)
    gathered: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        if key is not None and key not in own:
            gathered.setdefault(key, []).append(index)
    return list(gathered), [tuple(v) for v in gathered.values()]


def fit_linear(features: np.ndarray, labels: np.ndarray, classes: int, c: float = DEFAULT_C):
    """Multinomial logistic regression on standardised features; the standardisation folded into the
    returned ``(weights (1280, classes), bias (classes,))``, so serving is one matrix product."""
    from sklearn.linear_model import LogisticRegression

    mean, std = features.mean(axis=0), features.std(axis=0) + 1e-6
    model = LogisticRegression(C=c, max_iter=300)
    model.fit((features - mean) / std, labels)
    weights = np.zeros((features.shape[1], classes))
    bias = np.full(classes, -1e4)  # a class without a training photo is never answered
    present = model.classes_
    weights[:, present] = (model.coef_ / std[None, :]).T
    bias[present] = model.intercept_ - (model.coef_ * (mean / std)[None, :]).sum(axis=1)
    return weights, bias


@dataclass(frozen=True)
class UnionFit:
    scale: float
    shift: float
    few_lift: float  # added to the logits of our taxa learned from few photos
    temperature: float
    left_out: tuple[str, ...] = ()  # our taxa left out of the head it was fitted with


Shared = tuple[tuple[int, tuple[int, ...]], ...]


def shared_sources(ours: Sequence[str], keys: Sequence[str | None]) -> Shared:
    """Per class of ours that the iNat head knows too: its index and the iNat outputs of it."""
    index = {key: i for i, key in enumerate(ours)}
    found: dict[int, list[int]] = {}
    for output, key in enumerate(keys):
        if key in index:
            found.setdefault(index[key], []).append(output)
    return tuple((i, tuple(v)) for i, v in sorted(found.items()))


def union_head(
    weights: np.ndarray,
    bias: np.ndarray,
    ours: Sequence[str],
    few: np.ndarray,
    keys: Sequence[str | None],
    fit: UnionFit,
) -> tuple[UnionHead, list[str]]:
    """The union head for a head of ours and a fit; and the extra classes' keys, in order."""
    extra, sources = extra_species(ours, keys)
    lifted = bias + np.where(few, fit.few_lift, 0.0)
    head = UnionHead(weights, lifted, tuple(sources), fit.scale, fit.shift, shared_sources(ours, keys))
    return head, extra


def fit_union(
    weights: np.ndarray,
    bias: np.ndarray,
    ours: Sequence[str],
    few: np.ndarray,
    keys: Sequence[str | None],
    pooled: np.ndarray,
    inat_logits: np.ndarray,
    labels: Sequence[str],
    unknown_weight: float = UNKNOWN_WEIGHT,
) -> UnionFit:
    """``scale``, ``shift``, the few-photo lift and the temperature that minimise the log loss of the
    union head on held-out photos of ``labels`` (keys): those of ``ours`` and those it left out, the left-out
    ones weighted ``unknown_weight`` : 1 in all."""
    from scipy.optimize import minimize

    extra, _ = extra_species(ours, keys)
    position = {key: i for i, key in enumerate([*ours, *extra])}
    target = np.array([position[label] for label in labels])
    unknown = target >= len(ours)
    weight = np.where(unknown, unknown_weight * max((~unknown).sum(), 1) / max(unknown.sum(), 1), 1.0)

    def loss(params: np.ndarray) -> float:
        scale, shift, lift, log_t = params
        head, _ = union_head(weights, bias, ours, few, keys, UnionFit(scale, shift, lift, 1.0))
        z = head.logits(pooled, inat_logits) / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        log_p = z[np.arange(len(z)), target] - np.log(np.exp(z).sum(axis=1))
        return float(-(weight * log_p).sum() / weight.sum())

    # Bounded: a handful of validation photos (a small run) must not fit a scale that lets one head drown
    # the other; the full run's fit lies well inside (scale ~1, shift ~0.5, lift ~3, T ~0.7).
    bounds = [(0.25, 4.0), (-10.0, 10.0), (0.0, 6.0), (np.log(0.2), np.log(5.0))]
    best = minimize(
        loss, np.array([1.0, -2.0, 0.0, 0.0]), method="Nelder-Mead", bounds=bounds, options={"maxiter": 800}
    )
    scale, shift, lift, log_t = best.x
    return UnionFit(float(scale), float(shift), float(lift), float(np.exp(log_t)))


def gather(inat_logits: np.ndarray, sources: Sequence[tuple[int, ...]]) -> np.ndarray:
    head = UnionHead(np.zeros((inat.FEATURE_SIZE, 0)), np.zeros(0), tuple(sources), 1.0, 0.0)
    return head.logits(np.zeros((len(inat_logits), inat.FEATURE_SIZE)), inat_logits)


def leave_out(classes: Sequence[str], keys: Sequence[str | None]) -> list[str]:
    """A seeded share of our taxa the iNat head also knows."""
    known = sorted(set(classes) & {k for k in keys if k})
    rng = np.random.default_rng(LEAVE_OUT_SEED)
    return sorted(rng.choice(known, int(len(known) * LEAVE_OUT_SHARE), replace=False).tolist())
