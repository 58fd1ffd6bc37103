"""Inference engines behind one interface: uint8 pixels in, ``(species logits, ImageNet logits)`` out.

``tensorflow`` is the reference (training, GPU): the Keras graph ``TensorFlowEngine`` builds. ``litert`` is
that same Keras graph converted to a LiteRT flatbuffer at first load and run by the XNNPACK CPU kernels; the
flatbuffer is cached outside the repository, keyed by what went into it, with the result of a parity check
against TensorFlow next to it. ``int8`` is its full-integer conversion, calibrated and checked against float
LiteRT on the model's own photos (``classifier/training/quantize.py``). ``auto`` (the default) serves int8
where the
CPU has int8 dot-product instructions and int8 passed its check, else float LiteRT when it matched
TensorFlow, else TensorFlow. Once cached, a LiteRT load never imports TensorFlow.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from classifier.serving import images, integrity, weights
from classifier.serving.calibration import softmax
from classifier.serving.config import ENGINES, PRECISIONS, ModelConfig

log = logging.getLogger(__name__)

# Largest differences the parity check accepts, on calibrated probabilities and on the bird score.
PROB_TOLERANCE = 2e-3
BIRD_TOLERANCE = 2e-3
PROBE_IMAGES = 6


class Engine(Protocol):
    name: str

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Species logits and ImageNet logits (float64) for a uint8 ``(N, 224, 224, 3)`` batch."""
        ...


class EngineError(RuntimeError):
    """The requested engine could not be built or does not match the reference."""


def cpu_count() -> int:
    """Cores this process may run on (a container's CPU set, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def engine_name(requested: str | None = None) -> str:
    """``requested`` (None: ``auto``), checked against ``ENGINES``."""
    name = (requested or "auto").strip().lower()
    if name not in ENGINES:
        raise EngineError(f"unknown engine {name!r}; choose one of {ENGINES}")
    return name


def precision_name(requested: str | None = None) -> str:
    name = (requested or "float32").strip().lower()
    if name not in PRECISIONS:
        raise EngineError(f"unknown LiteRT precision {name!r}; choose one of {PRECISIONS}")
    return name


class TensorFlowEngine:
    """MobileNet base + ImageNet head + species head as one Keras graph: pixels in, two sets of logits out."""

    name = "tensorflow"

    def __init__(self, config: ModelConfig):
        import keras
        import tensorflow as tf

        from classifier.serving import heads

        base = weights.load_imagenet_mobilenet()
        feature_map = base.get_layer(heads.feature_layer(config.head)).output
        head = heads.build_head(config.head, len(config.classes), feature_shape=config.feature_shape)
        head.load_weights(config.path / "head.weights.h5")
        pooled = heads.pools_features(config.head)
        head_input = keras.layers.GlobalAveragePooling2D()(feature_map) if pooled else feature_map
        imagenet_logits = base.get_layer("reshape_2").output
        model = keras.Model(base.input, [head(head_input), imagenet_logits])
        self.keras_model = model  # what the LiteRT engine converts
        self._run = tf.function(lambda x: model(x, training=False), reduce_retracing=True)

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        species, imagenet = self._run(images.preprocess(batch))
        return np.asarray(species, dtype=np.float64), np.asarray(imagenet, dtype=np.float64)


class _FixedBatch:
    """One interpreter planned for one batch size (re-planning costs up to hundreds of milliseconds)."""

    def __init__(self, model_file: Path, num_threads: int, batch: int):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(model_file), num_threads=num_threads)
        signature = self.interpreter._get_full_signature_list()["serving_default"]
        if set(signature["outputs"]) != {"species", "imagenet"} or len(signature["inputs"]) != 1:
            raise EngineError(f"{model_file} has signature {signature}; expected images -> species, imagenet")
        (self.input,) = signature["inputs"].values()
        self.species, self.imagenet = signature["outputs"]["species"], signature["outputs"]["imagenet"]
        size = images.INPUT_SIZE
        self.interpreter.resize_tensor_input(self.input, [batch, size, size, 3])
        self.interpreter.allocate_tensors()

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Scaled straight into the interpreter's input tensor: no float copy of the batch in between.
        images.preprocess(batch, out=self.interpreter.tensor(self.input)())
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.species), self.interpreter.get_tensor(self.imagenet)


class LiteRTEngine:
    """A converted flatbuffer on the XNNPACK delegate.

    Any batch runs as chunks of ``chunk`` images (the rest one by one): on a 2-core x86 CPU, XNNPACK's
    images/s is flat from batch 1 to about 8 and drops beyond (activations fall out of cache), and a fixed
    plan per size avoids re-planning on every new batch size. See bench/README.md.
    """

    def __init__(
        self, model_file: Path, *, num_threads: int | None = None, chunk: int = 4, name: str = "litert"
    ):
        self.name = name  # "int8" for the full-integer conversion (classifier/training/quantize.py)
        self.model_file = Path(model_file)
        self.num_threads = num_threads or cpu_count()
        self.chunk = chunk
        self._plans: dict[int, _FixedBatch] = {}
        self._plan(1)  # fails here, at load, if the runtime or the file is unusable

    def _plan(self, size: int) -> _FixedBatch:
        if size not in self._plans:
            self._plans[size] = _FixedBatch(self.model_file, self.num_threads, size)
        return self._plans[size]

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        species, imagenet = in_chunks(batch, self.chunk, self._plan)
        if not species:
            return np.empty((0, 0)), np.empty((0, 1000))
        return np.concatenate(species).astype(np.float64), np.concatenate(imagenet).astype(np.float64)


Pair = tuple[np.ndarray, np.ndarray]


def in_chunks(
    batch: np.ndarray, chunk: int, plan: Callable[[int], Callable[[np.ndarray], Pair]]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Both outputs of ``plan(size)`` over ``batch`` in chunks of ``chunk`` images, the rest one by one (an
    interpreter planned for each of the two sizes, never re-planned)."""
    first, second = [], []
    start = 0
    while start < len(batch):
        size = chunk if len(batch) - start >= chunk else 1
        a, b = plan(size)(batch[start : start + size])
        first.append(a)
        second.append(b)
        start += size
    return first, second


# --- conversion and its cache ------------------------------------------------------------------


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:16]


def converter_version() -> str:
    """The converter ships with TensorFlow; its version is read without importing it."""
    return f"tf{metadata.version('tensorflow')}"


def cache_key(config: ModelConfig, precision: str) -> str:
    """Model version + a hash of the trained files + base weights hash + converter version + precision."""
    model_hash = _digest(
        (config.path / "config.json").read_bytes(), (config.path / "head.weights.h5").read_bytes()
    )
    return "-".join(
        [config.version, model_hash, weights.GRAPH_SHA256[:12], converter_version(), precision]
    ).replace("/", "_")


def cached_model_file(config: ModelConfig, precision: str) -> Path:
    return weights.cache_dir() / "litert" / f"{cache_key(config, precision)}.tflite"


def serving_function(keras_model: Any) -> tuple[Any, Any]:
    """The Keras graph as a ``tf.function`` over float pixels of any batch size, and the ``tf.Module``
    holding its variables (Keras 3 wraps its tf.Variables; the converter finds and freezes them only
    through a module)."""
    import tensorflow as tf

    size = images.INPUT_SIZE

    @tf.function(input_signature=[tf.TensorSpec([None, size, size, 3], tf.float32, name="images")])
    def serve(pixels):  # type: ignore[no-untyped-def]
        species, imagenet = keras_model(pixels, training=False)
        return {"species": species, "imagenet": imagenet}

    module = tf.Module()
    module.variables_ = [variable.value for variable in keras_model.variables]
    module.serve = serve
    return serve, module


def converter_for(serve: Any, module: Any) -> Any:
    import tensorflow as tf

    return tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function()], module)


def convert(keras_model: Any, precision: str = "float32") -> bytes:
    """Convert the two-output Keras model (whatever ``TensorFlowEngine`` built) to a LiteRT flatbuffer."""
    import tensorflow as tf

    converter = converter_for(*serving_function(keras_model))
    if precision == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif precision == "dynamic-int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return bytes(converter.convert())


def probe_batch(n: int = PROBE_IMAGES, seed: int = 7) -> np.ndarray:
    """Deterministic photo-like inputs for the parity check: smooth colour fields plus some noise."""
    rng = np.random.default_rng(seed)
    size = images.INPUT_SIZE
    coarse = rng.integers(0, 256, (n, 8, 8, 3)).astype(np.float32)
    smooth = coarse.repeat(size // 8, axis=1).repeat(size // 8, axis=2)
    noisy = smooth + rng.normal(0, 20, smooth.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Parity:
    max_prob_diff: float
    max_bird_diff: float
    top1_agree: float

    @property
    def ok(self) -> bool:
        return (
            self.max_prob_diff <= PROB_TOLERANCE
            and self.max_bird_diff <= BIRD_TOLERANCE
            and self.top1_agree == 1.0
        )


def compare(config: ModelConfig, reference: Engine, candidate: Engine, batch: np.ndarray) -> Parity:
    """How far ``candidate``'s calibrated outputs are from ``reference``'s on ``batch``."""
    (ref_species, ref_imagenet), (species, imagenet) = reference(batch), candidate(batch)
    ref_probs = softmax(ref_species, config.temperature)
    probs = softmax(species, config.temperature)
    birds = list(config.bird_classes)
    ref_bird = softmax(ref_imagenet)[:, birds].sum(axis=1)
    bird = softmax(imagenet)[:, birds].sum(axis=1)
    return Parity(
        max_prob_diff=float(np.abs(ref_probs - probs).max()),
        max_bird_diff=float(np.abs(ref_bird - bird).max()),
        top1_agree=float((ref_probs.argmax(1) == probs.argmax(1)).mean()),
    )


def cached_with_report(target: Path, build: Any) -> tuple[Path, dict[str, Any]]:
    """A cached flatbuffer and its report (``target`` with ``.json``), both whole and sealed
    (``classifier/serving/integrity.py``): as they are, or made by ``build()`` -> ``(flatbuffer bytes, a
    function
    of the written file that returns its report)`` under the lock, then sealed. Either file damaged: both
    are made again."""
    report_file = target.with_suffix(".json")

    def whole() -> bool:
        return integrity.is_sealed(target) and integrity.is_sealed(report_file)

    if whole():
        return target, json.loads(report_file.read_text())
    with integrity.locked(target):
        if not whole():
            if target.exists():
                log.warning("cached %s is damaged or unsealed: converting it again", target.name)
            data, check = build()
            integrity.write_atomically(target, data)
            integrity.seal(target)
            integrity.write_atomically(report_file, json.dumps(check(target), indent=2).encode())
            integrity.seal(report_file)
    return target, json.loads(report_file.read_text())


def ensure_litert_model(
    config: ModelConfig, *, precision: str = "float32", reference: Any | None = None
) -> tuple[Path, dict[str, Any]]:
    """The cached flatbuffer and its parity report, converting and checking first if needed.

    ``reference`` is a ``TensorFlowEngine`` for this model if the caller has one (else one is built).
    """

    def build() -> tuple[bytes, Any]:
        ref = reference if reference is not None else TensorFlowEngine(config)
        log.info("converting model %s to LiteRT (%s)", config.version, precision)
        data = convert(ref.keras_model, precision)

        def check(target: Path) -> dict[str, Any]:
            parity = compare(config, ref, LiteRTEngine(target), probe_batch())
            report = {
                "model_version": config.version,
                "precision": precision,
                "converter": converter_version(),
                "ok": parity.ok,
                "max_prob_diff": parity.max_prob_diff,
                "max_bird_diff": parity.max_bird_diff,
                "top1_agree": parity.top1_agree,
                "tolerance": {"probs": PROB_TOLERANCE, "bird_score": BIRD_TOLERANCE},
            }
            log.info("LiteRT parity for %s: %s", config.version, report)
            return report

        return data, check

    return cached_with_report(cached_model_file(config, precision), build)
