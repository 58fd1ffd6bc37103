"""How a prediction's confidence reads to people: the one formatter every page, table and the API use.

A calibrated 0.997 is not certainty and 0.003 is not impossibility, so the ends read "> 99 %" and
"< 1 %"; the words follow the "Not sure" threshold (``CONFIDENCE_THRESHOLD``) so the page's verdict,
its badge and its words never disagree. The rank comes from the catalog key: higher taxa are keyed
``genus-…``/``family-…``/``order-…`` (eBird codes have no hyphen), so no catalog load is needed.
"""

from __future__ import annotations

import math
from typing import Any, TypedDict

from django.conf import settings

# Non-breaking spaces keep "> 99 %" on one line wherever it wraps.
NBSP = "\u00a0"
HIGHER_RANKS = ("genus", "family", "order")


class Described(TypedDict):
    confidence_text: str
    confidence_words: str
    low_confidence: bool
    taxon_rank: str


def _missing(value: float | None) -> bool:
    # NaN or infinity (a damaged model's answer) reads as no value, never as a page that fails.
    return value is None or not math.isfinite(value)


def confidence_text(value: float | None) -> str:
    """``0.912`` -> "91 %"; never "100 %" or "0 %"; "" when there is no value."""
    if _missing(value):
        return ""
    percent = value * 100
    if percent >= 99.5:
        return f">{NBSP}99{NBSP}%"
    if percent < 0.5:
        return f"<{NBSP}1{NBSP}%"
    return f"{int(percent + 0.5)}{NBSP}%"  # half up, not Python's half-to-even


def threshold() -> float:
    return float(settings.CONFIDENCE_THRESHOLD)


def is_low(value: float | None, *, below: float | None = None) -> bool:
    return value is not None and math.isfinite(value) and value < (threshold() if below is None else below)


def confidence_words(value: float | None, *, below: float | None = None) -> str:
    """A few words a birder reads at a glance; "low" always means under the "Not sure" threshold."""
    if _missing(value):
        return ""
    if is_low(value, below=below):
        return "possible" if value >= 0.2 else "unlikely"
    if value >= 0.95:
        return "almost certain"
    return "very likely" if value >= 0.8 else "likely"


def taxon_rank(label: str | None) -> str:
    """species, genus, family or order, from a catalog key ("genus-zanda" -> "genus")."""
    prefix, sep, _ = (label or "").partition("-")
    return prefix if sep and prefix in HIGHER_RANKS else "species"


def describe(confidence: float | None, label: str | None) -> Described:
    """The fields a page or the API adds beside a raw confidence."""
    return {
        "confidence_text": confidence_text(confidence),
        "confidence_words": confidence_words(confidence),
        "low_confidence": is_low(confidence),
        "taxon_rank": taxon_rank(label),
    }


def describe_prediction(prediction: Any) -> Described:
    return describe(getattr(prediction, "confidence", None), getattr(prediction, "label", None))
