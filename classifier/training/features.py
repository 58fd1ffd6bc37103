"""Frozen-base features, computed once and cached, so training a head on this CPU takes minutes."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from classifier.serving import images, weights
from classifier.training import progress

log = logging.getLogger(__name__)

FEATURE_LAYER = "conv_pw_13_relu"  # the last 7×7×1024 map, before pooling
VIEWS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "orig": lambda im: im,
    "flip": lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    # A tighter framing: birds in user photos are often smaller than in the curated sets.
    "zoom": lambda im: im.crop((im.width * 0.1, im.height * 0.1, im.width * 0.9, im.height * 0.9)),
}


def feature_extractor(layer: str | Sequence[str] = FEATURE_LAYER):
    """MobileNet up to ``layer`` (by default its last 7×7×1024 map), ImageNet weights loaded; with several
    layers, one model giving each of their maps from a single pass."""
    import keras

    base = weights.load_imagenet_mobilenet()
    if isinstance(layer, str):
        return keras.Model(base.input, base.get_layer(layer).output, name=f"mobilenet_{layer}")
    return keras.Model(base.input, [base.get_layer(n).output for n in layer], name="mobilenet_maps")


def _content_key(path: Path) -> str:
    stat = path.stat()
    return _hash_file(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=65536)
def _hash_file(path: str, size: int, mtime_ns: int) -> str:
    # Keyed by size and mtime too: every view of a training run asks again, a changed file is hashed anew.
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:32]


def cache_root(view: str, layer: str = FEATURE_LAYER) -> Path:
    """One ``.npy`` per photo and view, named by the photo's content: any subset of a dataset, or the
    same photo under another path, reuses what was computed before."""
    tag = f"{layer}-{images.INPUT_SIZE}-{weights.GRAPH_SHA256[:12]}"
    return weights.cache_dir() / "features" / tag / view


def compute_feature_maps(
    paths: Sequence[Path],
    view: str = "orig",
    *,
    batch_size: int = 32,
    extractor=None,
    layer: str = FEATURE_LAYER,
) -> np.ndarray:
    """float16 feature maps ``(N, H, W, C)`` for the images, computing only those not cached yet."""
    root = cache_root(view, layer)
    files = [root / key[:2] / f"{key}.npy" for key in map(_content_key, paths)]
    missing = [i for i, f in enumerate(files) if not f.exists()]
    if missing:
        extractor = extractor or feature_extractor(layer)
        _compute(paths, files, missing, VIEWS[view], extractor, batch_size, desc=f"features/{view}")
    return np.stack([np.load(f) for f in files]) if files else np.empty((0, 7, 7, 1024), np.float16)


def cache_feature_maps(
    paths: Sequence[Path], views: Sequence[str], layers: Sequence[str], *, batch_size: int = 32
) -> None:
    """Compute whatever is not cached yet for every view and layer, one MobileNet pass per photo and view
    for all layers together (block 12 and block 13 share all but the last block's work)."""
    keys = list(map(_content_key, paths))
    extractor = None
    for view in views:
        files = {layer: [cache_root(view, layer) / k[:2] / f"{k}.npy" for k in keys] for layer in layers}
        missing = [i for i in range(len(keys)) if not all(files[layer][i].exists() for layer in layers)]
        if not missing:
            continue
        extractor = extractor or feature_extractor(list(layers))
        per_layer = [files[layer] for layer in layers]
        _compute(paths, per_layer, missing, VIEWS[view], extractor, batch_size, desc=f"features/{view}")


def _compute(paths, files, missing, transform, extractor, batch_size: int, desc: str) -> None:
    """``files``: one file list per output of ``extractor`` (a plain list when it has one output)."""
    multi = bool(files) and isinstance(files[0], list)
    outputs = files if multi else [files]

    def decode(chunk: list[int]) -> np.ndarray:
        return np.stack([images.to_array(transform(images.open_image(paths[i]))) for i in chunk])

    chunks = [missing[i : i + batch_size] for i in range(0, len(missing), batch_size)]
    # Decoding runs one batch ahead on a thread so the CPU never waits for JPEG.
    with ThreadPoolExecutor(max_workers=1) as pool, progress.Bar(len(missing), desc) as bar:
        pending = pool.submit(decode, chunks[0])
        for n, chunk in enumerate(chunks):
            batch = pending.result()
            if n + 1 < len(chunks):
                pending = pool.submit(decode, chunks[n + 1])
            result = extractor(images.preprocess(batch), training=False)
            if multi and not isinstance(result, list | tuple):
                result = [result]  # Keras gives a one-output model's tensor bare
            for out_files, maps in zip(outputs, result if multi else [result], strict=True):
                for i, fmap in zip(chunk, np.asarray(maps, dtype=np.float16), strict=True):
                    save_atomically(out_files[i], fmap)
            bar.update(len(chunk))


def save_atomically(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("wb") as handle:
        np.save(handle, array)
    partial.replace(path)  # readers never see half a file
