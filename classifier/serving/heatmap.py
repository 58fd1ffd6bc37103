"""The bird heat map: the shipped ImageNet head applied to every cell of a fully convolutional pass.

MobileNet's ImageNet head is global average pooling followed by a 1×1 convolution (``conv_preds``); both are
linear, so the ImageNet logits of any window of the final feature map are the window's mean of per-cell
logits. One pass over a photo larger than 224 px therefore scores every window of every size for the 59
bird classes at once (``classifier/serving/locate.py`` reads it). The network is MobileNet up to
``conv_preds``
with a free input size, converted to LiteRT once and cached beside the serving engine's conversion.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from classifier.serving import engines, images, integrity, weights

log = logging.getLogger(__name__)

CELL = 32  # MobileNet v1's output stride: one feature-map cell per 32×32 input pixels


def build_keras_model() -> Any:
    """MobileNet of any input size with the ImageNet 1×1 convolution on each cell: ``(N, h, w, 1000)``."""
    import keras

    reference = weights.load_imagenet_mobilenet()
    base = keras.applications.MobileNet(
        input_shape=(None, None, 3), alpha=1.0, include_top=False, weights=None
    )
    for layer in base.layers:
        if layer.weights:
            layer.set_weights(reference.get_layer(layer.name).get_weights())
    conv = reference.get_layer("conv_preds")
    per_cell = keras.layers.Conv2D(1000, 1, name="cell_logits")
    logits = per_cell(base.output)
    per_cell.set_weights(conv.get_weights())
    return keras.Model(base.input, logits)


def convert(keras_model: Any) -> bytes:
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([1, None, None, 3], tf.float32, name="images")])
    def serve(pixels):  # type: ignore[no-untyped-def]
        return {"logits": keras_model(pixels, training=False)}

    module = tf.Module()
    module.variables_ = [variable.value for variable in keras_model.variables]
    module.serve = serve
    converter = tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function()], module)
    return bytes(converter.convert())


def cached_model_file() -> Path:
    key = f"heatmap-{weights.GRAPH_SHA256[:12]}-{engines.converter_version()}-float32"
    return weights.cache_dir() / "litert" / f"{key}.tflite"


class HeatMapNet:
    """Per-cell ImageNet logits for one uint8 ``(H, W, 3)`` photo whose sides are multiples of ``CELL``.

    ``engine`` ``tensorflow`` runs the Keras graph; anything else runs the cached LiteRT conversion (made on
    first use), one interpreter plan per input shape.
    """

    def __init__(self, engine: str = "auto", *, threads: int | None = None):
        self.name = "tensorflow" if engine == "tensorflow" else "litert"
        self._plans: dict[tuple[int, int], Any] = {}
        self._threads = threads or engines.cpu_count()
        if self.name == "tensorflow":
            import tensorflow as tf

            model = build_keras_model()
            self._run = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
            return
        self.model_file = integrity.ensure_cached_bytes(
            cached_model_file(), lambda: convert(build_keras_model()), what="heat-map network"
        )

    def _plan(self, height: int, width: int) -> Any:
        if (height, width) not in self._plans:
            from ai_edge_litert.interpreter import Interpreter

            interpreter = Interpreter(model_path=str(self.model_file), num_threads=self._threads)
            signature = interpreter._get_full_signature_list()["serving_default"]
            (name,) = signature["inputs"].values()
            interpreter.resize_tensor_input(name, [1, height, width, 3])
            interpreter.allocate_tensors()
            self._plans[(height, width)] = (interpreter, name, signature["outputs"]["logits"])
        return self._plans[(height, width)]

    def __call__(self, photo: np.ndarray) -> np.ndarray:
        height, width = photo.shape[:2]
        if height % CELL or width % CELL:
            raise ValueError(f"heat-map input {width}×{height} is not a multiple of {CELL} pixels")
        if self.name == "tensorflow":
            return np.asarray(self._run(images.preprocess(photo[None]))[0], dtype=np.float32)
        interpreter, input_index, output_index = self._plan(height, width)
        images.preprocess(photo[None], out=interpreter.tensor(input_index)())
        interpreter.invoke()
        return np.array(interpreter.get_tensor(output_index)[0], dtype=np.float32)
