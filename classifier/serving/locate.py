"""Where the birds are in a photo: regions of the bird heat map (``classifier/serving/heatmap.py``) as boxes.

Box math is plain functions on fractional boxes ``(x, y, w, h)`` of the upright photo, so it is tested
without a model. ``Locator`` runs the heat-map pass over a photo sized to it and returns candidate boxes,
best first; ``classifier/serving/inference.py`` names each candidate from its own crop and gates it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from classifier.serving.calibration import softmax
from classifier.serving.heatmap import CELL, HeatMapNet
from classifier.serving.images import Box

LONG_SIDE = 448  # heat-map input: 14 cells along the longer side, so a bird 1/5 of the width spans ~3 cells
SHORT_MIN = 224
CELL_THRESHOLD = 0.5  # bird mass a cell (or a 2×2 window over it) needs to join a region
MAX_CANDIDATES = 6
SAME_REGION_IOU = 0.7  # a candidate this close to an earlier one is not looked at twice
EDGE_PAD = 0.5  # cells beyond the outer cells' centres where a region's edge is put
# MobileNet pads the bottom and right, so a cell looks this many cells below and right of its centre
# (measured on the validation split's wide frames: boxes sat 0.07-0.14 of their size up and left).
CELL_SHIFT = 0.35
CONTEXT = 0.0  # each side of a crop grows by this share of the box: training photos show some background


@dataclass(frozen=True)
class Candidate:
    box: Box  # the region of the heat map, in fractions of the photo
    peak: float  # highest bird mass of its cells
    mass: float = 0.0  # bird mass of all its cells: large, sure regions first


def input_size(width: int, height: int, long_side: int = LONG_SIDE) -> tuple[int, int]:
    """Heat-map input (width, height): multiples of ``CELL``, the photo's aspect, never above its pixels."""
    long_px = max(width, height)
    target = max(SHORT_MIN, min(long_side, long_px // CELL * CELL))
    scale = target / long_px
    other = min(width, height) * scale
    short = int(min(target, max(SHORT_MIN, round(other / CELL) * CELL)))
    return (target, short) if width >= height else (short, target)


def cell_scores(logits: np.ndarray, bird_classes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Bird mass per cell: of the cell alone, and the better of that and any 2×2 window covering it.

    ``logits``: ``(h, w, 1000)`` ImageNet logits per cell. A window's logits are the mean of its cells'
    (pooling and the 1×1 convolution are linear), so this is what the head says of that window. The
    pooled map finds birds a single cell is unsure of; the single map says where their edges are."""
    birds = list(bird_classes)
    single = softmax(logits.astype(np.float64))[..., birds].sum(-1)
    h, w = single.shape
    if h < 2 or w < 2:
        return single, single
    windows = (logits[:-1, :-1] + logits[1:, :-1] + logits[:-1, 1:] + logits[1:, 1:]) / 4
    pooled = softmax(windows.astype(np.float64))[..., birds].sum(-1)
    best = single.copy()
    for dy in (0, 1):
        for dx in (0, 1):
            view = best[dy : dy + h - 1, dx : dx + w - 1]
            np.maximum(view, pooled, out=view)
    return single, best


def components(mask: np.ndarray) -> list[np.ndarray]:
    """8-connected groups of True cells, each as an ``(n, 2)`` array of (row, column)."""
    from scipy import ndimage

    labels, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
    return [np.argwhere(labels == i) for i in range(1, count + 1)]


def cells_box(cells: np.ndarray, shape: tuple[int, int], pad: float | None = None) -> Box:
    """The fractional box from the centres of the outermost ``cells`` widened by ``pad`` cells: a cell
    scores as a bird when the bird covers its centre, so the edges lie near the outer cells' centres."""
    rows, cols = shape
    pad = EDGE_PAD if pad is None else pad
    top, left = cells.min(axis=0) + 0.5 - pad
    bottom, right = cells.max(axis=0) + 0.5 + pad
    return clip((left / cols, top / rows, (right - left) / cols, (bottom - top) / rows))


def soft_box(cells: np.ndarray, single: np.ndarray) -> Box:
    """The box of a region from the bird mass of its cells and their neighbours: a box of width ``W``
    spread uniformly has variance ``W²/12``; cells the bird half covers count half, so the edges fall
    between cell centres. Falls back to ``cells_box`` when the masses say nothing."""
    rows, cols = single.shape
    top, left = np.maximum(cells.min(axis=0) - 1, 0)
    bottom, right = np.minimum(cells.max(axis=0) + 2, single.shape)
    weights = single[top:bottom, left:right]
    total = weights.sum()
    if total <= 0:
        return cells_box(cells, single.shape)
    ys = np.arange(top, bottom)[:, None] + 0.5 + CELL_SHIFT
    xs = np.arange(left, right)[None, :] + 0.5 + CELL_SHIFT
    spans = []
    for grid in (xs, ys):
        mean = float((weights * grid).sum() / total)
        var = float((weights * (grid - mean) ** 2).sum() / total)
        spans.append((mean, max(1.0, float(np.sqrt(12 * var + 1.0)))))
    (cx, w), (cy, h) = spans
    return clip(((cx - w / 2) / cols, (cy - h / 2) / rows, w / cols, h / rows))


def candidates(
    single: np.ndarray,
    pooled: np.ndarray,
    threshold: float | None = None,
    limit: int | None = None,
) -> list[Candidate]:
    """Regions of ``single`` cells at or above ``threshold`` and regions of ``pooled`` cells, the most bird
    mass first, at most ``limit``; a pooled region that repeats a single one is left out.

    Both, because neither is right alone: a 2×2 window bridges the gap between two birds side by side, and
    single cells break one bird into fragments where only parts of it look like a bird. The crops decide."""
    threshold = CELL_THRESHOLD if threshold is None else threshold
    limit = MAX_CANDIDATES if limit is None else limit
    found: list[Candidate] = []
    for groups in (components(single >= threshold), components(pooled >= threshold)):
        for cells in groups:
            box = soft_box(cells, single)
            if any(iou(box, other.box) > SAME_REGION_IOU for other in found):
                continue
            mass = pooled[cells[:, 0], cells[:, 1]]
            found.append(Candidate(box=box, peak=float(mass.max()), mass=float(mass.sum())))
    return sorted(found, key=lambda c: -c.mass)[:limit]


def iou(a: Box, b: Box) -> float:
    inter = intersection(a, b)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def intersection(a: Box, b: Box) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0.0, w) * max(0.0, h)


def clip(box: Box) -> Box:
    """``box`` within the photo (0..1 on both axes)."""
    x0, y0 = max(0.0, box[0]), max(0.0, box[1])
    x1, y1 = min(1.0, box[0] + box[2]), min(1.0, box[1] + box[3])
    return (x0, y0, max(0.0, x1 - x0), max(0.0, y1 - y0))


def crop_box(box: Box, size: tuple[int, int], context: float | None = None) -> Box:
    """What to crop to name the bird in ``box`` of a photo of ``size`` pixels: the box with ``context``
    of its size added on each side, made square in pixels (training photos are square), moved inside the
    photo rather than cut by its edge where it fits."""
    width, height = size
    context = CONTEXT if context is None else context
    cx, cy = (box[0] + box[2] / 2) * width, (box[1] + box[3] / 2) * height
    side = max(box[2] * width, box[3] * height) * (1 + 2 * context)
    side_x, side_y = min(side, width), min(side, height)
    left = min(max(cx - side_x / 2, 0.0), width - side_x)
    top = min(max(cy - side_y / 2, 0.0), height - side_y)
    return (left / width, top / height, side_x / width, side_y / height)


def valid_region(box: list[float] | tuple[float, ...]) -> Box:
    """A user's region checked: four finite numbers, inside the photo, of non-zero size; else ValueError."""
    if len(box) != 4 or not all(isinstance(v, int | float) and np.isfinite(v) for v in box):
        raise ValueError(f"a region is [x, y, w, h] in 0..1, got {box!r}")
    x, y, w, h = (float(v) for v in box)
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > 1 + 1e-6 or y + h > 1 + 1e-6:
        raise ValueError(f"region {box!r} is empty or outside the photo")
    return clip((x, y, w, h))


class Locator:
    """The heat-map pass and its candidate boxes for one upright photo."""

    def __init__(self, bird_classes: tuple[int, ...], *, engine: str = "auto", threads: int | None = None):
        self.bird_classes = bird_classes
        self.net = HeatMapNet(engine, threads=threads)

    def scores(self, image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
        size = input_size(*image.size)
        pixels = np.asarray(image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0), dtype=np.uint8)
        return cell_scores(self.net(pixels), self.bird_classes)

    def __call__(self, image: Image.Image) -> list[Candidate]:
        return candidates(*self.scores(image))
