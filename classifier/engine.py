"""The inference API the web service uses: ``load()`` and ``Classifier.predict()``."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifier import images, metrics
from classifier.catalog import Catalog

MODELS_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL_FILE = MODELS_DIR / "DEFAULT"  # one line: the directory name of the shipped model
BATCH_SIZE = 32


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
        )


class TensorFlowEngine:
    """MobileNet base + ImageNet head + species head as one Keras graph: pixels in, two sets of logits out."""

    name = "tensorflow"

    def __init__(self, config: ModelConfig):
        import keras
        import tensorflow as tf

        from classifier import heads, weights

        base = weights.load_imagenet_mobilenet()
        feature_map = base.get_layer(heads.feature_layer(config.head)).output
        head = heads.build_head(config.head, len(config.classes), feature_shape=config.feature_shape)
        head.load_weights(config.path / "head.weights.h5")
        pooled = heads.pools_features(config.head)
        head_input = keras.layers.GlobalAveragePooling2D()(feature_map) if pooled else feature_map
        imagenet_logits = base.get_layer("reshape_2").output
        model = keras.Model(base.input, [head(head_input), imagenet_logits])
        self.keras_model = model  # what the LiteRT engine converts (classifier/engines.py)
        self._run = tf.function(lambda x: model(x, training=False), reduce_retracing=True)

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        species, imagenet = self._run(images.preprocess(batch))
        return np.asarray(species, dtype=np.float64), np.asarray(imagenet, dtype=np.float64)


class Classifier:
    """A trained model: species with calibrated confidence, and whether there is a bird at all."""

    def __init__(self, model_dir: Path, *, engine: str | None = None, batch_size: int = BATCH_SIZE):
        from classifier import engines

        self.config = ModelConfig.read(model_dir)
        self.model_version = self.config.version
        self.catalog = Catalog.load(model_dir / "catalog.json")
        self.batch_size = batch_size
        # Flip TTA doubles the work for ~1 point top-1; $BIRDSITE_TTA=on|off overrides the model's choice.
        tta = os.environ.get("BIRDSITE_TTA", "").strip().lower()
        self.tta_flip = {"on": True, "off": False}.get(tta, self.config.tta_flip)
        self._engine = engines.create(self.config, engine)  # engine None: $BIRDSITE_ENGINE, else auto
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
    model_dir: str | Path | None = None, *, engine: str | None = None, batch_size: int = BATCH_SIZE
) -> Classifier:
    """Load a model directory (default: the shipped model). Slow: do it once per process.

    ``engine``: ``tensorflow``, ``litert`` or ``auto``; None reads ``$BIRDSITE_ENGINE`` (default auto).
    """
    return Classifier(
        Path(model_dir) if model_dir else default_model_dir(), engine=engine, batch_size=batch_size
    )
