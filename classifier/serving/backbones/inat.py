"""The bird-specialist backbone: Google's iNaturalist-2017 bird MobileNet V2 (uint8 LiteRT, Apache-2.0).

Shipped in ``inat_mnv2/`` with its LICENSE and NOTICE, checked by sha256 whenever it is loaded. Its input
is raw uint8 pixels (the model's own quantization is ``(p - 128) / 128``). One pass gives what a head of
ours needs and what its own head says: the pooled 1280-d feature and the 965 logits (964 species and
``background``), dequantized to float32. They are outputs of a copy of the model made once, at first use,
in the cache (``multi_output_file``): the shipped file ends in a softmax only.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache
from pathlib import Path

import numpy as np

from classifier.serving import integrity, weights
from classifier.serving.images import INPUT_SIZE

log = logging.getLogger(__name__)

FOLDER = Path(__file__).resolve().parent / "inat_mnv2"
MODEL_FILE = FOLDER / "mobilenet_v2_1.0_224_inat_bird_quant.tflite"
LABELS_FILE = FOLDER / "inat_bird_labels.txt"
SHA256 = {
    MODEL_FILE.name: "350fcd8cf1df1560060d464595dfed8b174b05792788052896004848d9ad04f9",
    LABELS_FILE.name: "a16108dfe3f8daff015b87a97ab6a17e717b9b1bccd719f6d8f747746d7b9277",
}
NAME = "inat2017-mobilenet_v2_1.0_224-uint8"
FEATURE_SIZE = 1280
POOLED_TENSOR = "AvgPool/AvgPool"
LOGITS_TENSOR = "Logits/MatMul;Logits/BiasAdd"
BACKGROUND = "background"


def verified(path: Path) -> bytes:
    """The shipped file's bytes, or ``ModelDamaged`` if they are not the ones published."""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != SHA256[path.name]:
        raise integrity.ModelDamaged(f"{path} does not match its published sha256: it is damaged")
    return data


@cache
def labels() -> tuple[str, ...]:
    """The 965 output labels, ``"Genus species (Common Name)"`` and ``background`` last."""
    return tuple(line.strip() for line in verified(LABELS_FILE).decode().splitlines() if line.strip())


def background_index() -> int:
    return labels().index(BACKGROUND)


def with_extra_outputs(model: bytes) -> bytes:
    """The flatbuffer with the pooled feature and the logits as its outputs (in that order)."""
    from tensorflow.lite.tools import flatbuffer_utils

    parsed = flatbuffer_utils.convert_bytearray_to_object(bytearray(model))
    graph = parsed.subgraphs[0]
    index = {t.name.decode(): i for i, t in enumerate(graph.tensors)}
    graph.outputs = np.array([index[POOLED_TENSOR], index[LOGITS_TENSOR]], dtype=np.int32)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(parsed))


def multi_output_file() -> Path:
    key = SHA256[MODEL_FILE.name][:12]
    target = weights.cache_dir() / "litert" / f"inat-mnv2-{key}-features.tflite"
    return integrity.ensure_cached_bytes(
        target, lambda: with_extra_outputs(verified(MODEL_FILE)), what="iNat backbone"
    )


class _Plan:
    def __init__(self, model_file: Path, threads: int, batch: int):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(model_file), num_threads=threads)
        (self.input,) = self.interpreter.get_input_details()
        self.interpreter.resize_tensor_input(self.input["index"], [batch, INPUT_SIZE, INPUT_SIZE, 3])
        self.interpreter.allocate_tensors()
        outputs = {o["name"]: o for o in self.interpreter.get_output_details()}
        self.outputs = [outputs[POOLED_TENSOR], outputs[LOGITS_TENSOR]]

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.interpreter.set_tensor(self.input["index"], batch)
        self.interpreter.invoke()
        found = []
        for detail in self.outputs:
            scale, zero = detail["quantization"]
            raw = self.interpreter.get_tensor(detail["index"]).reshape(len(batch), -1)
            found.append((raw.astype(np.float32) - zero) * scale)
        return found[0], found[1]


class InatNet:
    """Pooled features ``(N, 1280)`` and iNat logits ``(N, 965)`` for a uint8 ``(N, 224, 224, 3)`` batch.

    Runs as chunks of ``chunk`` images with one fixed interpreter plan per size (as ``LiteRTEngine``)."""

    name = "inat-uint8"

    def __init__(self, *, threads: int | None = None, chunk: int = 4):
        from classifier.serving.engines import cpu_count

        self.model_file = multi_output_file()
        self.threads = threads or cpu_count()
        self.chunk = chunk
        self._plans: dict[int, _Plan] = {}
        self._plan(1)  # fails here, at load, if the runtime or the file is unusable

    def _plan(self, size: int) -> _Plan:
        if size not in self._plans:
            self._plans[size] = _Plan(self.model_file, self.threads, size)
        return self._plans[size]

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from classifier.serving.engines import in_chunks

        pooled, logits = in_chunks(np.ascontiguousarray(batch, dtype=np.uint8), self.chunk, self._plan)
        if not pooled:
            return np.empty((0, FEATURE_SIZE), np.float32), np.empty((0, len(labels())), np.float32)
        return np.concatenate(pooled), np.concatenate(logits)
