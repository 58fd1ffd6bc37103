"""Stand-ins for the classifier at unit level (the integration tests use the real one)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from typing import Any

from PIL import Image

from classifier.result import Answer, AnswerKind, Bird, PhotoResult, Prediction

SPECIES = [
    ("amegfi", "American Goldfinch", "Spinus tristis"),
    ("houfin", "House Finch", "Haemorhous mexicanus"),
    ("pingro", "Pine Grosbeak", "Pinicola enucleator"),
    ("eveg", "Evening Grosbeak", "Coccothraustes vespertinus"),
    ("comred", "Common Redpoll", "Acanthis flammea"),
    ("norcar", "Northern Cardinal", "Cardinalis cardinalis"),
    ("blujay", "Blue Jay", "Cyanocitta cristata"),
]


@dataclass(frozen=True)
class Species:
    key: str
    common_name: str
    scientific_name: str
    ebird_code: str | None
    rank: str = "species"
    wikipedia_url: str = ""
    dataset_labels: tuple[str, ...] = ()


def wiki(scientific_name: str) -> str:
    return "https://en.wikipedia.org/wiki/" + scientific_name.replace(" ", "_")


class FakeCatalog:
    def __init__(self) -> None:
        self._by_key = {k: Species(k, c, s, k, wikipedia_url=wiki(s)) for k, c, s in SPECIES}

    def __getitem__(self, key: str) -> Species:
        return self._by_key[key]

    def __iter__(self):
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def search(self, q: str, limit: int = 20, prefer=()) -> list[Species]:
        q = q.lower()
        hits = [s for s in self if q in s.common_name.lower() or q in s.scientific_name.lower()]
        return sorted(hits, key=lambda s: s.key not in prefer)[:limit]


def fake_predictions(top_confidence: float = 0.91, top_k: int = 5) -> tuple[Prediction, ...]:
    rest = (1.0 - top_confidence) / max(1, top_k - 1)
    return tuple(
        Prediction(
            label=key,
            common_name=common,
            scientific_name=sci,
            confidence=top_confidence if i == 0 else rest,
            wikipedia_url=wiki(sci),
            ebird_code=key,
        )
        for i, (key, common, sci) in enumerate(SPECIES[:top_k])
    )


def species_answer_of(predictions: tuple[Prediction, ...], *, score: float = 4.0) -> Answer:
    top = predictions[0]
    return Answer(
        kind=AnswerKind.SPECIES,
        rank="species",
        label=top.label,
        common_name=top.common_name,
        scientific_name=top.scientific_name,
        confidence=top.confidence,
        known_score=score,
    )


def fake_bird(
    *,
    is_bird: bool = True,
    top_confidence: float = 0.91,
    top_k: int = 5,
    box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0),
    answer: Answer | None = None,
) -> Bird:
    predictions = fake_predictions(top_confidence, top_k)
    return Bird(
        box=box,
        bird_score=0.97 if is_bird else 0.02,
        is_bird=is_bird,
        predictions=predictions,
        answer=answer or species_answer_of(predictions),
    )


def fake_result(
    *, is_bird: bool = True, top_confidence: float = 0.91, model_version: str = "test-1", top_k: int = 5
) -> PhotoResult:
    """A one-bird result on the classifier's contract: the whole photo, its species answer."""
    bird = fake_bird(is_bird=is_bird, top_confidence=top_confidence, top_k=top_k)
    return PhotoResult(model_version=model_version, birds=(bird,))


def with_predictions(result: PhotoResult, predictions: tuple[Prediction, ...]) -> PhotoResult:
    """``result`` whose best bird ranks ``predictions`` instead (its answer: their rank-1)."""
    best = replace(result.best, predictions=predictions, answer=species_answer_of(predictions))
    return replace(result, birds=(best, *result.birds[1:]))


def fake_two_birds(*, second_is_bird: bool = True, first_is_bird: bool = True) -> PhotoResult:
    """A jay-like bird and a second one whose top species differs, each with its own box."""
    first = fake_bird(is_bird=first_is_bird, top_confidence=0.9, box=(0.1, 0.2, 0.3, 0.4))
    other = fake_predictions(0.7)
    other = other[1:] + other[:1]  # another species first
    second = Bird(
        box=(0.6, 0.5, 0.2, 0.25),
        bird_score=0.8 if second_is_bird else 0.01,
        is_bird=second_is_bird,
        predictions=other,
        answer=species_answer_of(other),
    )
    return PhotoResult(model_version="test-1", birds=(replace(first, bird_score=0.95), second))


class FakeInvalidImage(ValueError):
    pass


@dataclass
class FakeClassifier:
    """Answers with ``result`` (or raises ``error``); checks it was given decodable image bytes."""

    model_version: str = "test-1"
    result: PhotoResult = field(default_factory=fake_result)
    error: BaseException | None = None
    calls: list[int] = field(default_factory=list)
    regions: list[Any] = field(default_factory=list)

    def predict(
        self, images: list[Any], top_k: int = 5, regions: list[Any] | None = None
    ) -> list[PhotoResult]:
        self.calls.append(len(images))
        self.regions.extend(regions or [None] * len(images))
        if self.error is not None:
            raise self.error
        for data in images:
            if not isinstance(data, Image.Image):
                try:
                    Image.open(io.BytesIO(data)).verify()
                except (OSError, SyntaxError, ValueError) as exc:  # as the real classifier says it
                    from classifier import InvalidImage

                    raise InvalidImage(str(exc)) from exc
        return [replace(self.result, model_version=self.model_version) for _ in images]


def jpeg_bytes(size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 170, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", quality=90)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (10, 120, 200, 255)).save(out, "PNG")
    return out.getvalue()
