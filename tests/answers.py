"""Results whose bird carries an open-set answer of each kind, on the classifier's typed contract."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from classifier.result import UNKNOWN_NAME, Answer, AnswerKind, PhotoResult, Taxon
from tests.fakes import fake_result, species_answer_of

UNKNOWN_TEXT = UNKNOWN_NAME


def closest(result: PhotoResult, n: int = 3) -> tuple[Taxon, ...]:
    return tuple(
        Taxon(
            label=p.label,
            common_name=p.common_name,
            scientific_name=p.scientific_name,
            confidence=p.confidence,
        )
        for p in result.predictions[:n]
    )


def unknown_answer(result: PhotoResult, *, known: float = 0.12, score: float = -3.5) -> Answer:
    return Answer(kind=AnswerKind.UNKNOWN, confidence=known, known_score=score, closest=closest(result))


def species_answer(result: PhotoResult, *, score: float = 4.0) -> Answer:
    return species_answer_of(result.predictions, score=score)


def genus_answer(*, mass: float = 0.82, score: float = 1.5) -> Answer:
    return Answer(
        kind=AnswerKind.HIGHER_TAXON,
        rank="genus",
        label="genus-spinus",
        common_name="Goldfinches and siskins",
        scientific_name="Spinus",
        confidence=mass,
        known_score=score,
    )


def result_with(answer: str = "unknown", *, top_confidence: float = 0.91, **options: Any) -> PhotoResult:
    """A one-bird result whose bird carries an answer of kind ``answer`` (``is_bird=False``: the look
    failed the bird gate, as the classifier still answers for it)."""
    result = fake_result(top_confidence=top_confidence, **options)
    made = {
        "unknown": lambda: unknown_answer(result),
        "species": lambda: species_answer(result),
        "higher_taxon": genus_answer,
    }[answer]()
    bird = replace(result.best, box=(0.1, 0.1, 0.5, 0.5), bird_score=0.96, answer=made)
    return replace(result, birds=(bird,))
