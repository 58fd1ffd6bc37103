"""Frozen-base features, computed once and cached, so training a head on this CPU takes minutes."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from classifier import images, weights

log = logging.getLogger(__name__)

FEATURE_LAYER = "conv_pw_13_relu"  # the last 7×7×1024 map, before pooling
VIEWS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "orig": lambda im: im,
    "flip": lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    # A tighter framing: birds in user photos are often smaller than in the curated sets.
    "zoom": lambda im: im.crop((im.width * 0.1, im.height * 0.1, im.width * 0.9, im.height * 0.9)),
}


def feature_extractor():
    """MobileNet up to its last feature map (7×7×1024), ImageNet weights loaded."""
    import keras

    base = weights.load_imagenet_mobilenet()
    return keras.Model(base.input, base.get_layer(FEATURE_LAYER).output, name="mobilenet_features")


def _cache_file(paths: Sequence[Path], view: str) -> Path:
    digest = hashlib.sha256()
    for path in paths:
        stat = path.stat()
        digest.update(f"{path.resolve()}|{stat.st_size}|{int(stat.st_mtime)}\n".encode())
    digest.update(f"{FEATURE_LAYER}|{images.INPUT_SIZE}|{weights.GRAPH_SHA256}".encode())
    return weights.cache_dir() / "features" / f"{view}-{digest.hexdigest()[:20]}.npy"


def compute_feature_maps(
    paths: Sequence[Path], view: str = "orig", *, batch_size: int = 32, extractor=None
) -> np.ndarray:
    """float16 feature maps ``(N, 7, 7, 1024)`` for the images, from the cache when it has them."""
    cache = _cache_file(paths, view)
    if cache.exists():
        return np.load(cache, mmap_mode="r")
    extractor = extractor or feature_extractor()
    transform = VIEWS[view]

    def decode(chunk: Sequence[Path]) -> np.ndarray:
        return np.stack([images.to_array(transform(images.open_image(p))) for p in chunk])

    chunks = [paths[i : i + batch_size] for i in range(0, len(paths), batch_size)]
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(".partial.npy")
    out = np.lib.format.open_memmap(partial, mode="w+", dtype=np.float16, shape=(len(paths), 7, 7, 1024))
    # Decoding runs one batch ahead on a thread so the CPU never waits for JPEG.
    with ThreadPoolExecutor(max_workers=1) as pool, tqdm(total=len(paths), desc=f"features/{view}") as bar:
        pending = pool.submit(decode, chunks[0]) if chunks else None
        start = 0
        for i in range(len(chunks)):
            batch = pending.result()
            pending = pool.submit(decode, chunks[i + 1]) if i + 1 < len(chunks) else None
            maps = extractor(images.preprocess(batch), training=False)
            out[start : start + len(batch)] = np.asarray(maps, dtype=np.float16)
            start += len(batch)
            bar.update(len(batch))
    out.flush()
    del out
    partial.replace(cache)  # only complete caches are ever read
    (cache.with_suffix(".json")).write_text(json.dumps([str(p) for p in paths]))
    return np.load(cache, mmap_mode="r")
