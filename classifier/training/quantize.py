"""The full-integer int8 conversion of the serving graph, and the parity check that decides if it may serve.

Static (post-training) quantization: weights int8 per channel, activations int8 with ranges calibrated on
``CALIBRATION_PHOTOS`` training photos of the model's own datasets. Two parts stay float because they
measurably matter (held-out test split of 2026.11.29-mnv1-b13, 1,293 photos, no TTA, top-1 agreement with
float LiteRT): everything int8 agrees on 90.4 %; the cosine species head in float alone, 90.3 %; that
plus the first convolution block (conv1, conv_dw_1, conv_pw_1: 6 % of the multiply-adds) in float, 95.4 %.
More float (the first three blocks, every depthwise layer, or the species branch's block 13) stayed at
95.5–96.1 %: the rest of the error is spread over the int8 pointwise layers.

The check compares the candidate with the float LiteRT engine on the model's labelled held-out photos
(its test split): top-1 agreement, held-out top-1 per dataset, and bird-gate decisions. Its report is
cached next to the flatbuffer, so a later load reads it instead of checking again.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from classifier.serving import engines, images
from classifier.serving.calibration import softmax
from classifier.serving.int8 import RECIPE

log = logging.getLogger(__name__)

CALIBRATION_PHOTOS = 200
CALIBRATION_SEED = 20261201
# The species head's cosine layer (norm, divide, matmul) and a Dense head's matmul stay float.
FLOAT_OPS = ("MUL", "SUM", "SQRT", "ADD", "DIV", "FULLY_CONNECTED")
FLOAT_LAYERS = ("conv1", "conv_dw_1", "conv_pw_1")  # MobileNet's first block: its errors grow downstream
_FLOAT_NODES = re.compile("/(?:" + "|".join(FLOAT_LAYERS) + ")_relu")
# What the int8 engine must reach against float before ``auto`` serves it (issue 16).
MIN_TOP1_AGREEMENT = 0.98
MAX_TOP1_DROP = 0.007  # held-out top-1, on every dataset and on all together
MIN_GATE_AGREEMENT = 0.99
# ``classifier/training/../../../shared/datasets/birds``: where the training photos sit beside a checkout.
DEFAULT_DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "birds"


class NoPhotos(FileNotFoundError):
    """The model's labelled photos (to calibrate and to check an int8 conversion) are not there."""


@dataclass(frozen=True)
class Photos:
    pixels: np.ndarray  # uint8 (N, 224, 224, 3)
    labels: np.ndarray  # class index per photo
    sources: np.ndarray  # dataset folder name per photo


def model_photos(config: Any, datasets: Path, split: str) -> list[tuple[Path, int, str]]:
    """``(path, class index, dataset)`` of one split of the model's own datasets, as training split them."""
    from classifier.catalog import Catalog
    from classifier.datasets.samples import catalog_resolver, load_samples

    data = json.loads((config.path / "config.json").read_text()).get("data") or {}
    dirs = [Path(datasets) / Path(name).name for name in data.get("dirs", [])]
    if not dirs:
        raise NoPhotos(f"model {config.version} does not say which datasets it was trained on")
    missing = [str(d) for d in dirs if not d.is_dir()]
    if missing:
        raise NoPhotos(f"no labelled photos at {', '.join(missing)}")
    samples = load_samples(
        dirs,
        catalog_resolver(Catalog.load(config.path / "catalog.json")),
        seed=data["split_seed"],
        valid_fraction=data["valid_fraction"],
        test_fraction=data["test_fraction"],
    )
    index = {label: i for i, label in enumerate(config.classes)}
    found = [(s.path, index[s.label], s.source) for s in samples if s.split == split and s.label in index]
    if not found:
        raise NoPhotos(f"no {split} photos of model {config.version} under {datasets}")
    return found


def load_photos(found: list[tuple[Path, int, str]]) -> Photos:
    return Photos(
        pixels=images.load_batch([path for path, _, _ in found]),
        labels=np.array([label for _, label, _ in found]),
        sources=np.array([source for _, _, source in found]),
    )


def calibration_photos(config: Any, datasets: Path, n: int = CALIBRATION_PHOTOS) -> np.ndarray:
    """A seeded sample of the model's training photos: what the activation ranges are fitted on."""
    found = model_photos(config, datasets, "train")
    pick = np.random.default_rng(CALIBRATION_SEED).choice(len(found), min(n, len(found)), replace=False)
    return images.load_batch([found[i][0] for i in sorted(pick)])


def convert(keras_model: Any, calibration: np.ndarray) -> bytes:
    """The two-output Keras graph as a full-integer LiteRT flatbuffer (float in and out), with
    ``FLOAT_OPS`` and ``FLOAT_LAYERS`` kept float."""
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    serve, module = engines.serving_function(keras_model)
    float_model = engines.converter_for(serve, module).convert()
    # Node names as the float flatbuffer spells them (Keras and the converter fuse conv, BN and ReLU6).
    plain = Interpreter(
        model_content=float_model,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    names = {t["index"]: t["name"] for t in plain.get_tensor_details()}
    outputs = [names[i] for op in plain._get_ops_details() for i in op["outputs"]]
    float_nodes = [name for name in outputs if _FLOAT_NODES.search(name)]
    if len(float_nodes) != len(FLOAT_LAYERS):
        raise RuntimeError(f"expected the layers {FLOAT_LAYERS} in the graph, found {float_nodes}")

    def representative():  # type: ignore[no-untyped-def]
        for photo in calibration:
            yield [images.preprocess(photo[None])]

    converter = engines.converter_for(serve, module)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    # Selective quantization goes through the quantization debugger (TensorFlow's documented way).
    debugger = tf.lite.experimental.QuantizationDebugger(
        converter=converter,
        debug_dataset=representative,
        debug_options=tf.lite.experimental.QuantizationDebugOptions(
            denylisted_ops=list(FLOAT_OPS), denylisted_nodes=float_nodes
        ),
    )
    return bytes(debugger.get_nondebug_quantized_model())


@dataclass(frozen=True)
class Thresholds:
    min_top1_agreement: float = MIN_TOP1_AGREEMENT
    max_top1_drop: float = MAX_TOP1_DROP
    min_gate_agreement: float = MIN_GATE_AGREEMENT


@dataclass(frozen=True)
class Int8Parity:
    photos: int
    top1_agree: float
    gate_agree: float
    max_prob_diff: float
    top1: dict[str, dict[str, float]]  # per dataset and "all": n, float, int8
    thresholds: Thresholds = field(default_factory=Thresholds)

    def failures(self) -> list[str]:
        t = self.thresholds
        found = []
        if self.top1_agree < t.min_top1_agreement:
            found.append(f"top-1 agrees with float on {self.top1_agree:.1%} < {t.min_top1_agreement:.0%}")
        for source, row in self.top1.items():
            if row["float"] - row["int8"] > t.max_top1_drop:
                found.append(
                    f"held-out top-1 on {source} {row['int8']:.3f} vs float {row['float']:.3f} "
                    f"(more than {t.max_top1_drop * 100:.1f} points lower)"
                )
        if self.gate_agree < t.min_gate_agreement:
            found.append(f"bird gate agrees with float on {self.gate_agree:.1%} < {t.min_gate_agreement:.0%}")
        return found

    @property
    def ok(self) -> bool:
        return not self.failures()

    def report(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reasons": self.failures(),
            "photos": self.photos,
            "top1_agree": self.top1_agree,
            "gate_agree": self.gate_agree,
            "max_prob_diff": self.max_prob_diff,
            "held_out_top1": self.top1,
            "thresholds": {
                "min_top1_agreement": self.thresholds.min_top1_agreement,
                "max_top1_drop": self.thresholds.max_top1_drop,
                "min_gate_agreement": self.thresholds.min_gate_agreement,
            },
        }


def compare(
    config: Any, reference: Any, candidate: Any, photos: Photos, thresholds: Thresholds | None = None
) -> Int8Parity:
    """``candidate`` (int8) against ``reference`` (float) on labelled photos, one engine pass each."""
    ref_species, ref_imagenet = reference(photos.pixels)
    species, imagenet = candidate(photos.pixels)
    ref_probs = softmax(ref_species, config.temperature)
    probs = softmax(species, config.temperature)
    birds = list(config.bird_classes)
    ref_gate = softmax(ref_imagenet)[:, birds].sum(axis=1) >= config.bird_threshold
    gate = softmax(imagenet)[:, birds].sum(axis=1) >= config.bird_threshold
    top1: dict[str, dict[str, float]] = {}
    for source in [*sorted(set(photos.sources.tolist())), "all"]:
        rows = np.ones(len(photos.labels), bool) if source == "all" else photos.sources == source
        top1[source] = {
            "n": int(rows.sum()),
            "float": float((ref_probs[rows].argmax(1) == photos.labels[rows]).mean()),
            "int8": float((probs[rows].argmax(1) == photos.labels[rows]).mean()),
        }
    return Int8Parity(
        photos=len(photos.labels),
        top1_agree=float((ref_probs.argmax(1) == probs.argmax(1)).mean()),
        gate_agree=float((ref_gate == gate).mean()),
        max_prob_diff=float(np.abs(ref_probs - probs).max()),
        top1=top1,
        thresholds=thresholds or Thresholds(),
    )


def ensure_int8_model(
    config: Any, *, datasets: Path | None = None, reference: Any | None = None
) -> tuple[Path, dict[str, Any]]:
    """The cached int8 flatbuffer and its parity report against float LiteRT on the model's held-out
    photos, converting and checking first if needed. Raises
    ``NoPhotos`` when the labelled photos it needs are not under ``datasets``."""
    target = engines.cached_model_file(config, RECIPE)

    def build() -> tuple[bytes, Any]:
        folder = Path(datasets or DEFAULT_DATASETS)
        held_out = model_photos(config, folder, "test")  # NoPhotos before any conversion work
        calibration = calibration_photos(config, folder)
        ref = reference if reference is not None else engines.TensorFlowEngine(config)
        float_file, _ = engines.ensure_litert_model(config, reference=ref)
        log.info(
            "converting model %s to int8 LiteRT (%d calibration photos)", config.version, len(calibration)
        )
        data = convert(ref.keras_model, calibration)

        def check(written: Path) -> dict[str, Any]:
            parity = compare(
                config,
                engines.LiteRTEngine(float_file),
                engines.LiteRTEngine(written, name="int8"),
                load_photos(held_out),
            )
            report = {
                "model_version": config.version,
                "precision": "int8",
                "recipe": RECIPE,
                "converter": engines.converter_version(),
                "calibration_photos": len(calibration),
                "float_ops": list(FLOAT_OPS),
                "float_layers": list(FLOAT_LAYERS),
                **parity.report(),
            }
            log.info(
                "int8 parity for %s: %s",
                config.version,
                {k: report[k] for k in ("ok", "reasons", "top1_agree")},
            )
            return report

        return data, check

    return engines.cached_with_report(target, build)
