"""The wide-photo set: held-out bird photos pasted into 1600×1200 frames of real non-bird photos.

Seeded and generated at run time into a cache folder outside the repository (never committed): each photo of
the model's own test split (or validation split, for tuning) pasted at 20–25 %, 40–50 % and 100 % of the
frame's width at a random position, frames holding two different birds, and frames with no bird at all.
The backgrounds are scikit-image's and scikit-learn's sample photos, resized, tiled and blurred.
``classifier/evaluation/wide_eval.py`` scores a model on it.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from classifier.catalog import Catalog
from classifier.datasets.samples import Sample, catalog_resolver, load_samples
from classifier.evaluation.evaluate import SKIMAGE_NON_BIRDS
from classifier.serving import weights

FRAME = (1600, 1200)
SIZES = {"20-25%": (0.20, 0.25), "40-50%": (0.40, 0.50), "100%": (1.0, 1.0)}
TWO_BIRD_WIDTH = (0.22, 0.35)
VERSION = 1  # bump when the generation changes: old caches are then ignored


@dataclass(frozen=True)
class Case:
    path: str
    kind: str  # "cropped" (the photo itself), a key of SIZES, "two", "none"
    labels: list[str]
    boxes: list[list[float]]  # pasted boxes [x, y, w, h] in 0..1, one per label


def background_sources() -> list[Image.Image]:
    """RGB photos without birds from scikit-image and scikit-learn (shipped with the packages)."""
    import skimage.data
    from sklearn.datasets import load_sample_images

    found = []
    for name in SKIMAGE_NON_BIRDS:
        try:
            array = np.asarray(getattr(skimage.data, name)())
        except Exception:  # noqa: BLE001 - some samples need an optional download
            continue
        if array.dtype == bool:
            array = array.astype(np.uint8) * 255
        image = Image.fromarray(array.astype(np.uint8)).convert("RGB")
        if min(image.size) >= 200:
            found.append(image)
    found += [Image.fromarray(a) for a in load_sample_images().images]
    return found


def frame(rng: random.Random, sources: list[Image.Image]) -> Image.Image:
    """A 1600×1200 scene: one photo cropped to fill it, or a 2×2 tiling of four; some blur."""
    width, height = FRAME
    if rng.random() < 0.5:
        canvas = _cover(rng.choice(sources), (width, height), rng)
    else:
        canvas = Image.new("RGB", FRAME)
        for tx in (0, 1):
            for ty in (0, 1):
                tile = _cover(rng.choice(sources), (width // 2, height // 2), rng)
                canvas.paste(tile, (tx * width // 2, ty * height // 2))
    return canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0.0, 3.0)))


def _cover(image: Image.Image, size: tuple[int, int], rng: random.Random) -> Image.Image:
    scale = max(size[0] / image.width, size[1] / image.height) * rng.uniform(1.0, 1.6)
    big = image.resize((round(image.width * scale) + 1, round(image.height * scale) + 1), Image.BILINEAR)
    left, top = rng.randint(0, big.width - size[0]), rng.randint(0, big.height - size[1])
    return big.crop((left, top, left + size[0], top + size[1]))


def paste(canvas: Image.Image, photo: Image.Image, fraction: float, rng: random.Random) -> list[float]:
    """Paste ``photo`` ``fraction`` of the canvas wide (aspect kept) at a random position; its box.

    At 100 % a photo taller than the frame is cut to the frame's height (a centred band, as a phone
    would crop it)."""
    width, height = canvas.size
    w = round(width * fraction)
    h = round(photo.height * w / photo.width)
    resized = photo.resize((w, h), Image.BILINEAR)
    if h > height:
        top = (h - height) // 2
        resized, h = resized.crop((0, top, w, top + height)), height
    x, y = rng.randint(0, width - w), rng.randint(0, height - h)
    canvas.paste(resized, (x, y))
    return [x / width, y / height, w / width, h / height]


def held_out(model_dir: Path, datasets_root: Path, split: str = "test") -> list[Sample]:
    config = json.loads((model_dir / "config.json").read_text())["data"]
    catalog = Catalog.load(model_dir / "catalog.json")
    samples = load_samples(
        [datasets_root / name for name in config["dirs"]],
        catalog_resolver(catalog),
        seed=config["split_seed"],
        valid_fraction=config["valid_fraction"],
        test_fraction=config["test_fraction"],
    )
    classes = set(json.loads((model_dir / "config.json").read_text())["classes"])
    return [s for s in samples if s.split == split and s.label in classes]


def cache_root() -> Path:
    return weights.cache_dir() / "wide"


def build(
    model_dir: Path,
    datasets_root: Path,
    *,
    per_size: int = 200,
    two_birds: int = 100,
    no_birds: int = 200,
    seed: int = 12,
    split: str = "test",
    root: Path | None = None,
) -> list[Case]:
    """The cases (generating the frames unless this exact set is cached already)."""
    model_version = json.loads((model_dir / "config.json").read_text())["version"]
    name = f"v{VERSION}-{model_version}-{split}-s{seed}-{per_size}-{two_birds}-{no_birds}"
    folder = (root or cache_root()) / name
    manifest = folder / "cases.json"
    if manifest.exists():
        return [Case(**c) for c in json.loads(manifest.read_text())]
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    samples = held_out(model_dir, datasets_root, split)
    chosen = rng.sample(samples, min(per_size, len(samples)))
    sources = background_sources()
    cases: list[Case] = []

    def save(image: Image.Image, kind: str, index: int) -> str:
        path = folder / f"{kind.replace('%', 'pc')}-{index:04d}.jpg"
        image.save(path, "JPEG", quality=90)
        return str(path)

    for i, sample in enumerate(chosen):
        cases.append(Case(str(sample.path), "cropped", [sample.label], [[0.0, 0.0, 1.0, 1.0]]))
        photo = Image.open(sample.path).convert("RGB")
        for kind, (low, high) in SIZES.items():
            canvas = frame(rng, sources)
            box = paste(canvas, photo, rng.uniform(low, high), rng)
            cases.append(Case(save(canvas, kind, i), kind, [sample.label], [box]))
    for i in range(two_birds):
        first, second = _two_labels(rng, samples)
        canvas = frame(rng, sources)
        boxes = _paste_apart(canvas, [first, second], rng)
        cases.append(Case(save(canvas, "two", i), "two", [first.label, second.label], boxes))
    for i in range(no_birds):
        cases.append(Case(save(frame(rng, sources), "none", i), "none", [], []))
    partial = manifest.with_suffix(".partial")
    partial.write_text(json.dumps([asdict(c) for c in cases]))
    partial.replace(manifest)
    return cases


def _two_labels(rng: random.Random, samples: list[Sample]) -> tuple[Sample, Sample]:
    while True:
        first, second = rng.sample(samples, 2)
        if first.label != second.label:
            return first, second


def _paste_apart(canvas: Image.Image, pair: list[Sample], rng: random.Random) -> list[list[float]]:
    """Two photos side by side, not overlapping: the frame is split at a random column between them."""
    width, height = canvas.size
    widths = [rng.uniform(*TWO_BIRD_WIDTH) for _ in pair]
    gap_total = 1.0 - sum(widths)
    left_gap = rng.uniform(0, gap_total)
    middle_gap = rng.uniform(0, gap_total - left_gap)
    xs = [left_gap, left_gap + widths[0] + middle_gap]
    boxes = []
    for sample, x, w in zip(pair, xs, widths, strict=True):
        photo = Image.open(sample.path).convert("RGB")
        pw = round(width * w)
        ph = min(height, round(photo.height * pw / photo.width))
        y = rng.randint(0, height - ph)
        canvas.paste(photo.resize((pw, ph), Image.BILINEAR), (round(x * width), y))
        boxes.append([round(x * width) / width, y / height, pw / width, ph / height])
    return boxes
