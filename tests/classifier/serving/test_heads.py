"""Classification heads: the fine-tuned block starts as an exact copy of MobileNet's last block."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.serving import heads


def test_old_model_directories_calling_their_cosine_head_default_still_load():
    assert heads.canonical("default") == "cosine"
    assert heads.pools_features("default") and not heads.pools_features("block13")
    assert heads.feature_layer("block13") == "conv_pw_12_relu"


def test_an_unknown_head_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="block13"):
        heads.build_head("resnet", 3, feature_shape=(1024,))


def test_batch_norm_stays_frozen_in_the_fine_tuned_block():
    head = heads.build_head("block13", 3, feature_shape=(7, 7, 1024))
    frozen = [layer.name for layer in head.layers if not layer.trainable]
    assert frozen == ["conv_dw_13_bn", "conv_pw_13_bn"]


@pytest.mark.model
def test_before_fine_tuning_the_block13_head_equals_the_cosine_head_on_mobilenet_features(imagenet_model):
    import keras

    rng = np.random.default_rng(0)
    photos = rng.uniform(-1, 1, (2, 224, 224, 3)).astype(np.float32)
    block12 = keras.Model(imagenet_model.input, imagenet_model.get_layer("conv_pw_12_relu").output)(photos)
    block13 = keras.Model(imagenet_model.input, imagenet_model.get_layer("conv_pw_13_relu").output)(photos)
    cosine = heads.build_head("cosine", 5, feature_shape=(1024,))
    fine = heads.build_head("block13", 5, feature_shape=(7, 7, 1024), classifier=cosine)
    heads.copy_block13_from(fine, imagenet_model)
    expected = cosine(np.asarray(block13).mean(axis=(1, 2)), training=False)
    np.testing.assert_allclose(fine(block12, training=False), expected, rtol=1e-4, atol=1e-4)
