"""What a model directory says about itself (``ModelConfig``) and how to run it (``Options``).

Library code takes ``Options`` (or ``classifier.load``'s keywords) and never reads the environment; only the
command line (``python -m classifier``) turns ``BIRDSITE_*`` variables into options, strictly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from classifier.serving.openset import OpenSet

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
DEFAULT_MODEL_FILE = MODELS_DIR / "DEFAULT"  # one line: the directory name of the shipped model
BATCH_SIZE = 32

ENGINES = ("auto", "litert", "int8", "tensorflow")
PRECISIONS = ("float32", "float16", "dynamic-int8")

ENGINE_ENV = "BIRDSITE_ENGINE"
PRECISION_ENV = "BIRDSITE_LITERT_PRECISION"
THREADS_ENV = "BIRDSITE_THREADS"
TTA_ENV = "BIRDSITE_TTA"
# Flip test-time augmentation, spelled one way everywhere (settings, the command line, ``load``).
TTA_MODES = ("unsure", "always", "never")
BATCH_SIZE_ENV = "BIRDSITE_BATCH_SIZE"


def default_model_dir() -> Path:
    return MODELS_DIR / DEFAULT_MODEL_FILE.read_text().strip()


@dataclass(frozen=True)
class ModelConfig:
    path: Path
    version: str
    head: str
    classes: list[str]
    feature_shape: tuple[int, ...]
    temperature: float
    tta_flip: bool
    bird_classes: tuple[int, ...]
    bird_threshold: float
    open_set: OpenSet | None = None  # models trained before the open-set rule never answer "unknown"
    # Union models (classifier/serving/backbones/union.py): classes from this index on are the iNat head's
    # own.
    own_classes: int | None = None

    @classmethod
    def read(cls, model_dir: Path) -> ModelConfig:
        raw = json.loads((model_dir / "config.json").read_text())
        return cls(
            path=model_dir,
            version=raw["version"],
            head=raw["head"],
            classes=list(raw["classes"]),
            feature_shape=tuple(raw["feature_shape"]),
            temperature=float(raw["temperature"]),
            tta_flip=bool(raw["tta_flip"]),
            bird_classes=tuple(raw["bird_gate"]["imagenet_classes"]),
            bird_threshold=float(raw["bird_gate"]["threshold"]),
            open_set=OpenSet.from_config(raw),
            own_classes=raw.get("own_classes"),
        )


@dataclass(frozen=True)
class Options:
    """How to serve a model. ``threads`` None: every core of the process; ``tta`` one of ``TTA_MODES``
    (``"unsure"``: a flipped second pass only where the first is unsure, see
    ``classifier/serving/inference.py``),
    None: the model's choice."""

    engine: str = "auto"
    precision: str = "float32"
    threads: int | None = None
    tta: str | None = None
    batch_size: int = BATCH_SIZE

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}; choose one of {ENGINES}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown LiteRT precision {self.precision!r}; choose one of {PRECISIONS}")
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ValueError(f"threads must be a whole number of at least 1, got {self.threads!r}")
        if self.tta is not None and self.tta not in TTA_MODES:
            raise ValueError(f"tta must be one of {TTA_MODES} or None, got {self.tta!r}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a whole number of at least 1, got {self.batch_size!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Options:
        """Options from ``BIRDSITE_*`` variables; an unset or empty one keeps the default, a bad one raises
        ``ValueError`` naming the variable (a typo must not be ignored silently)."""

        def get(name: str) -> str | None:
            raw = environ.get(name, "").strip()
            return raw.lower() or None

        values: dict[str, object] = {}
        if (engine := get(ENGINE_ENV)) is not None:
            if engine not in ENGINES:
                raise ValueError(f"{ENGINE_ENV}={engine!r}: choose one of {', '.join(ENGINES)}")
            values["engine"] = engine
        if (precision := get(PRECISION_ENV)) is not None:
            if precision not in PRECISIONS:
                raise ValueError(f"{PRECISION_ENV}={precision!r}: choose one of {', '.join(PRECISIONS)}")
            values["precision"] = precision
        if (threads := get(THREADS_ENV)) is not None:
            values["threads"] = _positive_int(THREADS_ENV, threads)
        if (batch := get(BATCH_SIZE_ENV)) is not None:
            values["batch_size"] = _positive_int(BATCH_SIZE_ENV, batch)
        if (tta := get(TTA_ENV)) is not None:
            values["tta"] = parse_tta(tta, TTA_ENV)
        return cls(**values)  # type: ignore[arg-type]


def parse_tta(raw: str, name: str = "tta") -> str | None:
    """One of ``TTA_MODES``, or ``default`` (None: the model's choice); else raises naming ``name``."""
    value = raw.strip().lower()
    if value == "default":
        return None
    if value in TTA_MODES:
        return value
    raise ValueError(f"{name}={raw!r}: choose {', '.join(TTA_MODES)} or default")


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: not a whole number") from None
    if value < 1:
        raise ValueError(f"{name}={raw!r}: must be at least 1")
    return value
