"""Where one photo's time goes, by stage, beside the ideal for the model passes it needs (issue 23).

    .venv/bin/python bench/profile.py [--photos 24] [--large 6] [--model-dir DIR] > bench/profile.json

The shipped classifier (``classifier.load``) on 224-px photos and on 12 MP JPEGs, one photo a call and
then all of them in one call (a batch chunk), with each stage timed in place: decode (``open_photo``, JPEG
draft included), the heat-map pass (``Locator``), cutting and resizing the crops (``Photo.whole`` /
``Photo.crops``), the naming passes (the engine, flipped views for TTA included) and the rest (calibration,
choosing the looks, the answers). The **ideal** of the same run is the passes each photo needed, timed
alone on ready arrays: heat-map passes × one heat-map pass + named images × one image in a batch of 32.
``x_ideal`` is how many times the ideal the whole path took: 1.0 would be model time only.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, peak_rss_mb, photos, twelve_megapixel  # noqa: E402

import classifier  # noqa: E402
from classifier.serving import images, locate  # noqa: E402


class Stages:
    """Seconds and calls per stage, summed while the wrapped functions run."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.named = 0  # images through the naming engine (flips included)

    def wrap(self, owner: object, name: str, stage: str) -> None:
        inner = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - started
                self.calls[stage] += 1

        setattr(owner, name, timed)


class Counted:
    """The classifier's engine, with every named image counted and its time added to ``naming``."""

    def __init__(self, engine, stages: Stages) -> None:
        self._engine, self._stages, self.name = engine, stages, engine.name

    def _timed(self, run, batch):
        self._stages.named += len(batch)
        started = time.perf_counter()
        try:
            return run(batch)
        finally:
            self._stages.seconds["naming"] += time.perf_counter() - started

    def __call__(self, batch):
        return self._timed(self._engine, batch)

    def __getattr__(self, attr):  # the flip-only ``species`` pass of an engine that has one, and the rest
        value = getattr(self._engine, attr)
        return (lambda batch: self._timed(value, batch)) if attr == "species" and callable(value) else value


def instrument(clf, stages: Stages) -> None:
    stages.wrap(images, "open_photo", "decode")
    stages.wrap(locate.Locator, "__call__", "heat_map")
    stages.wrap(images.Photo, "whole", "crops")
    stages.wrap(images.Photo, "crops", "crops")
    clf._engine = Counted(clf._engine, stages)


def pass_times(clf, photo_size: tuple[int, int], repeat: int = 5) -> dict[str, float]:
    """One heat-map pass at the input size a photo of ``photo_size`` gets, and one named image in a batch
    of 32, on ready arrays."""
    rng = np.random.default_rng(7)
    batch = rng.integers(0, 255, (32, 224, 224, 3), dtype=np.uint8)
    clf._engine(batch)  # warm
    started = time.perf_counter()
    for _ in range(repeat):
        clf._engine(batch)
    per_image = (time.perf_counter() - started) / (repeat * len(batch))
    width, height = locate.input_size(*photo_size)
    pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    clf.locator.net(pixels)
    started = time.perf_counter()
    for _ in range(repeat):
        clf.locator.net(pixels)
    return {
        "heat_map_pass_ms": 1000 * (time.perf_counter() - started) / repeat,
        "named_image_ms": 1000 * per_image,
    }


def profile(clf, stages: Stages, inputs: list[bytes], one_at_a_time: bool, passes: dict[str, float]) -> dict:
    stages.seconds.clear()
    stages.calls.clear()
    stages.named = 0
    started = time.perf_counter()
    if one_at_a_time:
        for data in inputs:
            clf.predict([data])
    else:
        clf.predict(inputs)
    wall = time.perf_counter() - started
    n = len(inputs)
    per_photo = {stage: round(1000 * s / n, 2) for stage, s in sorted(stages.seconds.items())}
    per_photo["other"] = round(1000 * wall / n - sum(per_photo.values()), 2)
    ideal = (
        stages.calls["heat_map"] * passes["heat_map_pass_ms"] + stages.named * passes["named_image_ms"]
    ) / n
    return {
        "photos": n,
        "ms_per_photo": round(1000 * wall / n, 2),
        "stages_ms_per_photo": per_photo,
        "heat_map_passes_per_photo": round(stages.calls["heat_map"] / n, 2),
        "named_images_per_photo": round(stages.named / n, 2),
        "ideal_ms_per_photo": round(ideal, 2),
        "x_ideal": round(1000 * wall / n / ideal, 2) if ideal else None,
    }


def _size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--large", type=int, default=6)
    parser.add_argument("--model-dir", default=None)
    args = parser.parse_args()
    clf = classifier.load(args.model_dir)
    small = [p.read_bytes() for p in photos(args.photos)]
    large = [twelve_megapixel(p, seed) for seed, p in enumerate(photos(args.large))]
    sizes = {"photo_224px": _size(small[0]), "photo_12mp": _size(large[0])}
    passes = {label: pass_times(clf, size) for label, size in sizes.items()}
    stages = Stages()
    instrument(clf, stages)
    clf.predict(small[:2])  # warm every plan
    report: dict = {
        "machine": machine(),
        "model_version": clf.model_version,
        "engine": clf.engine_name,
        "tta": clf.tta,
    }
    for label, inputs in (("photo_224px", small), ("photo_12mp", large)):
        report[label] = {
            "photo_size": sizes[label],
            "pass_times": {k: round(v, 3) for k, v in passes[label].items()},
            "one_at_a_time": profile(clf, stages, inputs, True, passes[label]),
            "one_chunk": profile(clf, stages, inputs, False, passes[label]),
        }
    report["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
