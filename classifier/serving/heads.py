"""Classification heads trained on cached MobileNet features.

- ``seed``: the 2020 recipe, kept as the baseline: Flatten-ReLU-Dropout(0.3)-Dense-softmax over the last
  7×7×1024 map.
- ``cosine``: a cosine classifier on pooled features: L2-normalised features and class weights with a learned
  scale, which generalises better from a handful of photos per species.
- ``block13``: MobileNet's last block (depthwise + pointwise conv, BatchNorm frozen) fine-tuned together with
  a cosine classifier, on the cached output of block 12. The service keeps the original block 13 for the
  ImageNet bird gate, so fine-tuning never changes what counts as a bird.
"""

from __future__ import annotations

from functools import cache

HEADS = ("seed", "cosine", "block13")
BLOCK13_LAYERS = ("conv_dw_13", "conv_dw_13_bn", "conv_pw_13", "conv_pw_13_bn")
_ALIASES = {"default": "cosine"}  # the first shipped model called its cosine head "default"


def canonical(kind: str) -> str:
    return _ALIASES.get(kind, kind)


def feature_layer(kind: str) -> str:
    """The MobileNet layer whose output the head reads."""
    return "conv_pw_12_relu" if canonical(kind) == "block13" else "conv_pw_13_relu"


def pools_features(kind: str) -> bool:
    """Whether the head reads globally average-pooled features rather than the 7×7 map."""
    return canonical(kind) == "cosine"


def build_head(kind: str, num_classes: int, *, feature_shape: tuple[int, ...], classifier=None):
    """The head as a Keras model from features to logits (softmax is applied outside).

    For ``block13``, ``classifier`` is an already trained ``cosine`` head to put on top of the block.
    """
    import keras

    kind = canonical(kind)
    inputs = keras.Input(shape=feature_shape, name="features")
    if kind == "seed":
        x = keras.layers.Flatten()(inputs)
        x = keras.layers.ReLU()(x)
        x = keras.layers.Dropout(0.3)(x)
        logits = keras.layers.Dense(num_classes, name="logits")(x)
    elif kind == "cosine":
        x = keras.layers.Dropout(0.2)(inputs)
        logits = cosine_logits_layer()(num_classes, name="logits")(x)
    elif kind == "block13":
        x = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="conv_dw_13")(inputs)
        x = keras.layers.BatchNormalization(name="conv_dw_13_bn")(x)
        x = keras.layers.ReLU(6.0)(x)
        x = keras.layers.Conv2D(1024, 1, use_bias=False, name="conv_pw_13")(x)
        x = keras.layers.BatchNormalization(name="conv_pw_13_bn")(x)
        x = keras.layers.ReLU(6.0)(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
        classifier = classifier or build_head("cosine", num_classes, feature_shape=(1024,))
        logits = classifier(x)
    else:
        raise ValueError(f"unknown head {kind!r}; choose one of {HEADS}")
    model = keras.Model(inputs, logits, name=f"head_{kind}")
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False  # a few photos per species cannot re-estimate batch statistics
    return model


def copy_block13_from(model, base) -> None:
    """Start the fine-tuned block from the ImageNet weights."""
    for name in BLOCK13_LAYERS:
        model.get_layer(name).set_weights(base.get_layer(name).get_weights())


@cache
def cosine_logits_layer():
    """The ``CosineLogits`` layer class, defined on first use so importing this module never imports Keras."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="birdsite")
    class CosineLogits(keras.layers.Layer):
        """``scale · cos(feature, class weight)``: logits depend on direction, not on feature norm."""

        def __init__(self, units: int, initial_scale: float = 16.0, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.initial_scale = initial_scale

        def build(self, input_shape):
            self.kernel = self.add_weight(
                name="kernel", shape=(input_shape[-1], self.units), initializer="glorot_uniform"
            )
            self.scale = self.add_weight(
                name="scale", shape=(), initializer=keras.initializers.Constant(self.initial_scale)
            )

        def call(self, inputs):
            features = inputs / (ops.norm(inputs, axis=-1, keepdims=True) + 1e-6)
            kernel = self.kernel / (ops.norm(self.kernel, axis=0, keepdims=True) + 1e-6)
            return self.scale * ops.matmul(features, kernel)

        def get_config(self):
            return {**super().get_config(), "units": self.units, "initial_scale": self.initial_scale}

    return CosineLogits
