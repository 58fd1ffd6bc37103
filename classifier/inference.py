"""The inference API the web service uses: ``load()`` and ``Classifier.predict()``."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from classifier import engines, images, metrics
from classifier.catalog import Catalog
from classifier.config import BATCH_SIZE, ModelConfig, Options, default_model_dir


class Classifier:
    """A trained model: species with calibrated confidence, and whether there is a bird at all."""

    def __init__(self, model_dir: Path, options: Options | None = None):
        options = options or Options()
        self.options = options
        self.config = ModelConfig.read(model_dir)
        self.model_version = self.config.version
        self.catalog = Catalog.load(model_dir / "catalog.json")
        self.batch_size = options.batch_size
        # Flip TTA doubles the work for ~1 point top-1; options.tta overrides the model's choice.
        self.tta_flip = self.config.tta_flip if options.tta is None else bool(options.tta)
        self._engine = engines.create(
            self.config, options.engine, precision=options.precision, threads=options.threads
        )
        self.engine_name = self._engine.name
        self._lock = threading.Lock()  # one forward pass at a time; the engine already uses every core

    def predict_arrays(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated species probabilities and bird scores for a uint8 ``(N, 224, 224, 3)`` batch."""
        n = len(batch)
        inputs = np.concatenate([batch, batch[:, :, ::-1]]) if self.tta_flip else batch
        with self._lock:
            species, imagenet_logits = self._engine(inputs)
        if self.tta_flip:
            species = (species[:n] + species[n:]) / 2
            imagenet_logits = imagenet_logits[:n]
        probs = metrics.softmax(species, self.config.temperature)
        bird_scores = metrics.softmax(imagenet_logits)[:, list(self.config.bird_classes)].sum(axis=1)
        return probs, bird_scores

    def predict(self, items: Sequence[images.ImageInput], top_k: int = 5) -> list[dict]:
        """One result per image, in order. Raises ``InvalidImage`` if any input cannot be decoded;
        callers that must not lose the rest decode with ``open_image`` first."""
        results: list[dict] = []
        for start in range(0, len(items), self.batch_size):
            batch = images.load_batch(list(items[start : start + self.batch_size]))
            probs, bird_scores = self.predict_arrays(batch)
            results += [self._result(p, float(b), top_k) for p, b in zip(probs, bird_scores, strict=True)]
        return results

    def _result(self, probs: np.ndarray, bird_score: float, top_k: int) -> dict:
        predictions = []
        for index in np.argsort(-probs)[:top_k]:
            species = self.catalog[self.config.classes[index]]
            predictions.append(
                {
                    "label": species.key,
                    "common_name": species.common_name,
                    "scientific_name": species.scientific_name,
                    "confidence": round(float(probs[index]), 6),
                    "wikipedia_url": species.wikipedia_url,
                    "ebird_code": species.ebird_code,
                }
            )
        return {
            "is_bird": bird_score >= self.config.bird_threshold,
            "bird_score": round(bird_score, 6),
            "predictions": predictions,
            "model_version": self.model_version,
        }


def load(
    model_dir: str | Path | None = None,
    *,
    engine: str = "auto",
    precision: str = "float32",
    threads: int | None = None,
    tta: bool | str | None = None,
    batch_size: int = BATCH_SIZE,
) -> Classifier:
    """Load a model directory (default: the shipped model). Slow: do it once per process.

    ``engine``: ``tensorflow``, ``litert`` or ``auto``; ``precision``: the LiteRT conversion; ``threads``:
    LiteRT threads (None: every core); ``tta``: flip test-time augmentation (None: the model's choice);
    ``batch_size``: most images per forward pass. Bad values raise ``ValueError``. The environment is never
    read here (``classifier.config.Options.from_env`` is the command line's reader).
    """
    options = Options(engine=engine, precision=precision, threads=threads, tta=tta, batch_size=batch_size)
    return Classifier(Path(model_dir) if model_dir else default_model_dir(), options)
