"""iNat backbone outputs per photo and view, computed once and cached, so a head trains in minutes.

One ``.npy`` per photo and view, named by the photo's content (``classifier/training/features.py`` does the
same for
the v1 maps): the pooled feature and the 965 iNat logits side by side, float16.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from classifier.serving import images, weights
from classifier.serving.backbones import inat
from classifier.training import progress
from classifier.training.features import VIEWS, _content_key, save_atomically


def cache_root(view: str) -> Path:
    return weights.cache_dir() / "features" / f"inat-mnv2-{inat.SHA256[inat.MODEL_FILE.name][:12]}" / view


def outputs(
    paths: Sequence[Path], view: str = "orig", *, net: inat.InatNet | None = None, batch_size: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """Pooled features ``(N, 1280)`` and iNat logits ``(N, 965)`` (float32) of ``paths`` under ``view``."""
    root = cache_root(view)
    files = [root / key[:2] / f"{key}.npy" for key in map(_content_key, paths)]
    missing = [i for i, f in enumerate(files) if not f.exists()]
    if missing:
        net = net or inat.InatNet()
        transform = VIEWS[view]

        def decode(chunk: list[int]) -> np.ndarray:
            return np.stack([images.to_array(transform(images.open_image(paths[i]))) for i in chunk])

        chunks = [missing[i : i + batch_size] for i in range(0, len(missing), batch_size)]
        with ThreadPoolExecutor(max_workers=1) as pool, progress.Bar(len(missing), f"inat/{view}") as bar:
            pending = pool.submit(decode, chunks[0])
            for n, chunk in enumerate(chunks):
                batch = pending.result()
                if n + 1 < len(chunks):
                    pending = pool.submit(decode, chunks[n + 1])
                pooled, logits = net(batch)
                for i, row in zip(chunk, np.concatenate([pooled, logits], axis=1), strict=True):
                    save_atomically(files[i], row.astype(np.float16))
                bar.update(len(chunk))
    if not files:
        return np.empty((0, inat.FEATURE_SIZE), np.float32), np.empty((0, len(inat.labels())), np.float32)
    both = np.stack([np.load(f) for f in files]).astype(np.float32)
    return both[:, : inat.FEATURE_SIZE], both[:, inat.FEATURE_SIZE :]
