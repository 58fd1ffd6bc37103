"""Classification heads trained on cached MobileNet features.

``seed`` is the 2020 recipe, kept as the baseline: Flatten-ReLU-Dropout(0.3)-Dense-softmax over the 7×7×1024
map. ``default`` is a cosine classifier on pooled features: L2-normalised features and class weights with a
learned scale, which generalises better from a handful of photos per species.
"""

from __future__ import annotations

from functools import cache

HEADS = ("seed", "default")


def build_head(kind: str, num_classes: int, *, feature_shape: tuple[int, ...]):
    """The head as a Keras model from features to logits (softmax is applied outside)."""
    import keras

    inputs = keras.Input(shape=feature_shape, name="features")
    if kind == "seed":
        x = keras.layers.Flatten()(inputs)
        x = keras.layers.ReLU()(x)
        x = keras.layers.Dropout(0.3)(x)
        logits = keras.layers.Dense(num_classes, name="logits")(x)
    elif kind == "default":
        x = keras.layers.Dropout(0.2)(inputs)
        logits = cosine_logits_layer()(num_classes, name="logits")(x)
    else:
        raise ValueError(f"unknown head {kind!r}; choose one of {HEADS}")
    return keras.Model(inputs, logits, name=f"head_{kind}")


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
