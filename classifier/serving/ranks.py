"""The answer at the rank the probabilities support: a species, else its genus or family.

When no species is confident but one genus (or family) holds most of the probability, saying "a
*Setophaga* warbler" is right where naming any one warbler would be a guess; iNaturalist falls back to a
common ancestor the same way. When the open-set score says the bird is probably none of the model's species
(classifier/serving/openset.py), the answer is "unknown" with the closest known taxa instead. A pure function
of the
calibrated probabilities, the open-set verdict and the catalog.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from classifier.catalog.aliases import GROUP_NAMES
from classifier.result import UNKNOWN_NAME, Answer, AnswerKind, Taxon
from classifier.serving.openset import Known

SPECIES_MIN = 0.6  # the site's "sure" line (CONFIDENCE_THRESHOLD): below it a species is not the answer
HIGHER_MIN = 0.6  # mass a genus or family must hold to be answered instead
CLOSEST = 3  # known taxa an "unknown" answer lists


@dataclass(frozen=True)
class Thresholds:
    species: float = SPECIES_MIN
    higher: float = HIGHER_MIN


def group_masses(probs: np.ndarray, records: Sequence) -> dict[tuple[str, str], float]:
    """``(rank, scientific name) -> probability`` of every genus and family holding some class: a
    species counts for its genus and family, a genus-level class for its genus and family."""
    mass: dict[tuple[str, str], float] = defaultdict(float)
    for p, record in zip(probs, records, strict=True):
        if record.rank in ("species", "genus") and record.genus:
            mass[("genus", record.genus)] += float(p)
        if record.family:
            mass[("family", record.family)] += float(p)
    return mass


def answer(
    probs: np.ndarray,
    classes: Sequence[str],
    catalog,
    thresholds: Thresholds = Thresholds(),
    known: Known | None = None,
) -> Answer:
    """The contract's ``Answer``: ``kind`` "unknown" when ``known`` says the bird is probably no species of
    the model's (with the ``closest`` known taxa), else "species" (also for a low-confidence top species,
    which the page shows as "not sure") or "higher_taxon" with the genus/family holding ≥
    ``thresholds.higher``. Every answer carries ``known_score`` (without ``known``: the top probability)."""
    records = [catalog[c] for c in classes]
    known = known or Known(score=float(np.max(probs)))
    if known.unknown:
        # A genus or family holding most of the mass is still the right answer for a species of it that
        # the model never learned ("a Setophaga warbler"), so the fallback comes before "unknown".
        higher = _higher(probs, records, thresholds)
        chosen = higher if higher is not None else _unknown(probs, records, known)
        return Answer(**chosen, known_score=round(known.score, 6))
    return Answer(**_ranked(probs, records, thresholds), known_score=round(known.score, 6))


def _unknown(probs: np.ndarray, records: Sequence, known: Known) -> dict:
    closest = tuple(
        Taxon(
            label=records[i].key,
            common_name=records[i].common_name,
            scientific_name=records[i].scientific_name,
            confidence=round(float(probs[i]), 6),
            rank=records[i].rank,
        )
        for i in np.argsort(-probs)[:CLOSEST]
    )
    return {
        "kind": AnswerKind.UNKNOWN,
        "common_name": UNKNOWN_NAME,
        "confidence": round(known.probability if known.probability is not None else 0.0, 6),
        "closest": closest,
    }


def _ranked(probs: np.ndarray, records: Sequence, thresholds: Thresholds) -> dict:
    top = int(np.argmax(probs))
    if probs[top] >= thresholds.species:
        return _entry(records[top], float(probs[top]))
    higher = _higher(probs, records, thresholds)
    return higher if higher is not None else _entry(records[top], float(probs[top]))


def _higher(probs: np.ndarray, records: Sequence, thresholds: Thresholds) -> dict | None:
    """The genus (else family) holding ≥ ``thresholds.higher`` and more than the top class, if any."""
    top = float(np.max(probs))
    masses = group_masses(probs, records)
    for rank in ("genus", "family"):
        candidates = [(m, name) for (r, name), m in masses.items() if r == rank]
        if not candidates:
            continue
        mass, name = max(candidates)
        if mass >= thresholds.higher and mass > top:
            return {
                "kind": AnswerKind.HIGHER_TAXON,
                "rank": rank,
                "label": f"{rank}-{name.lower()}",
                "common_name": _group_name(rank, name, records),
                "scientific_name": name,
                "confidence": round(mass, 6),
            }
    return None


def _entry(record, confidence: float) -> dict:
    return {
        "kind": AnswerKind.SPECIES if record.rank == "species" else AnswerKind.HIGHER_TAXON,
        "rank": record.rank,
        "label": record.key,
        "common_name": record.common_name,
        "scientific_name": record.scientific_name,
        "confidence": round(confidence, 6),
    }


def _group_name(rank: str, name: str, records: Sequence) -> str:
    """An English name where one is known: the reviewed group names, or the model's own class record."""
    if name in GROUP_NAMES:
        return GROUP_NAMES[name]
    for record in records:
        if record.rank == rank and record.scientific_name == name:
            return record.common_name
    return name
