"""Results carrying the #17 open-set ``answer`` per bird, as the brief's contract gives them: dict
fixtures for the web side until the classifier produces them itself."""

from __future__ import annotations

from typing import Any

from tests.fakes import fake_result

UNKNOWN_TEXT = "a species the model may not know"


def closest(result: dict[str, Any], n: int = 3) -> list[dict[str, Any]]:
    return [
        {k: p[k] for k in ("label", "common_name", "scientific_name", "confidence")}
        for p in result["predictions"][:n]
    ]


def unknown_answer(result: dict[str, Any], *, known: float = 0.12, score: float = -3.5) -> dict[str, Any]:
    return {
        "kind": "unknown",
        "rank": None,
        "label": None,
        "common_name": UNKNOWN_TEXT,
        "scientific_name": None,
        "confidence": known,
        "closest": closest(result),
        "known_score": score,
    }


def species_answer(result: dict[str, Any], *, score: float = 4.0) -> dict[str, Any]:
    top = result["predictions"][0]
    return {
        "kind": "species",
        "rank": "species",
        "label": top["label"],
        "common_name": top["common_name"],
        "scientific_name": top["scientific_name"],
        "confidence": top["confidence"],
        "known_score": score,
    }


def genus_answer(*, mass: float = 0.82, score: float = 1.5) -> dict[str, Any]:
    return {
        "kind": "higher_taxon",
        "rank": "genus",
        "label": "genus-spinus",
        "common_name": "Goldfinches and siskins",
        "scientific_name": "Spinus",
        "confidence": mass,
        "known_score": score,
    }


def result_with(answer: str = "unknown", *, top_confidence: float = 0.91, **options: Any) -> dict[str, Any]:
    """A one-bird result whose bird carries an answer of kind ``answer`` (``is_bird=False``: the look
    failed the bird gate, as the classifier still answers for it)."""
    result = fake_result(top_confidence=top_confidence, **options)
    made = {
        "unknown": lambda: unknown_answer(result),
        "species": lambda: species_answer(result),
        "higher_taxon": genus_answer,
    }[answer]()
    bird = {"box": [0.1, 0.1, 0.5, 0.5], "bird_score": 0.96, "is_bird": result["is_bird"]}
    return dict(result, birds=[dict(bird, predictions=result["predictions"], answer=made)])
