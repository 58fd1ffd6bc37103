"""The classifier's answer for one photo: the typed contract between the model and everything that stores
or shows it.

Every engine's output reaches callers as a ``PhotoResult``: the birds found (best first), each with its box,
bird score, top-k predictions and its ``Answer`` (a species, a genus or family, or "a species the model may
not know" with the closest known taxa). ``to_dict`` is the JSON shape the command line prints and the
README documents; ``from_dict`` reads it back (tests, tools). Frozen, so a stored result is the one given.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

# The words for an answer of kind "unknown", on every page, in the API and the batch table.
UNKNOWN_NAME = "a species the model may not know"
Box = tuple[float, float, float, float]


class AnswerKind(StrEnum):
    """The stable enum of ``Answer.kind``."""

    SPECIES = "species"  # a species the model knows (also a low-confidence one: the page says "not sure")
    HIGHER_TAXON = "higher_taxon"  # a genus or family holding most of the probability
    UNKNOWN = "unknown"  # probably no species the model knows: see ``closest``


@dataclass(frozen=True)
class Prediction:
    """One of a bird's top-k classes with its calibrated confidence."""

    label: str
    common_name: str
    scientific_name: str
    confidence: float
    wikipedia_url: str = ""
    ebird_code: str = ""
    rank: str = "species"  # the class's taxon rank: species, genus or family
    training_photos: int | None = None  # photos of ours it was learned from; None where not counted
    learned_from: str = ""  # what it was learned from where ``training_photos`` is None ("many iNat…")

    @property
    def learned_from_text(self) -> str:
        """Its training support in words: "4 photos", or what its own head learned from."""
        if self.training_photos is not None and self.training_photos > 0:
            return f"{self.training_photos} photo{'s' if self.training_photos != 1 else ''}"
        return self.learned_from


@dataclass(frozen=True)
class Taxon:
    """A known taxon close to a bird answered "unknown"."""

    label: str
    common_name: str
    scientific_name: str
    confidence: float
    rank: str = "species"


@dataclass(frozen=True)
class Answer:
    """What the model answers for one bird, at the rank its probabilities support.

    ``confidence``: the species' (or the genus' / family's) probability; for ``unknown`` the probability
    that it is a known species after all. ``known_score``: the open-set score the verdict came from."""

    kind: AnswerKind
    confidence: float
    known_score: float
    rank: str | None = None
    label: str | None = None
    common_name: str = UNKNOWN_NAME
    scientific_name: str | None = None
    closest: tuple[Taxon, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", AnswerKind(self.kind))


@dataclass(frozen=True)
class Bird:
    """One bird found in the photo (or the whole photo, or the user's region)."""

    box: Box
    bird_score: float
    is_bird: bool  # passed its bird gate
    predictions: tuple[Prediction, ...]
    answer: Answer


@dataclass(frozen=True)
class PhotoResult:
    """One photo's answer: its birds, best first (at least one look, which may not be a bird)."""

    model_version: str
    birds: tuple[Bird, ...]

    def __post_init__(self) -> None:
        if not self.birds:
            raise ValueError("a result has at least one look")

    @property
    def best(self) -> Bird:
        return self.birds[0]

    @property
    def is_bird(self) -> bool:
        return any(b.is_bird for b in self.birds)

    @property
    def bird_score(self) -> float:
        return self.best.bird_score

    @property
    def predictions(self) -> tuple[Prediction, ...]:
        return self.best.predictions

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (README "Classifier output"): with the best bird's ``predictions`` and the photo's
        ``is_bird``/``bird_score`` at the top for readers of one bird."""
        birds = [_bird_dict(b) for b in self.birds]
        return {
            "model_version": self.model_version,
            "is_bird": self.is_bird,
            "bird_score": self.bird_score,
            "predictions": birds[0]["predictions"],
            "birds": birds,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PhotoResult:
        return cls(
            model_version=str(data["model_version"]),
            birds=tuple(_bird_from(b) for b in data["birds"]),
        )


def _bird_dict(bird: Bird) -> dict[str, Any]:
    out = asdict(bird)
    out["box"] = list(bird.box)
    out["answer"]["kind"] = str(bird.answer.kind)
    out["answer"]["closest"] = list(out["answer"]["closest"])
    out["predictions"] = list(out["predictions"])
    return out


def _bird_from(data: dict[str, Any]) -> Bird:
    answer = dict(data["answer"])
    answer["closest"] = tuple(Taxon(**t) for t in answer.get("closest") or ())
    return Bird(
        box=tuple(float(v) for v in data["box"]),  # type: ignore[arg-type]
        bird_score=float(data["bird_score"]),
        is_bird=bool(data["is_bird"]),
        predictions=tuple(Prediction(**p) for p in data["predictions"]),
        answer=Answer(**answer),
    )
