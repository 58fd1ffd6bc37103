"""How unsure the first pass must be before a flipped second pass pays: ``python -m classifier tune-tta``.

Flip TTA averages the species logits of the photo and its mirror image: about a point of top-1 for twice
the work. Most photos are named with high confidence by the first pass and the flip never changes them;
this measures, on the validation split, the top-1 of flipping only below each confidence threshold.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from classifier.evaluation import wide
from classifier.serving import images
from classifier.serving.calibration import softmax
from classifier.serving.inference import Classifier

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99, 1.01)


def measure(clf: Classifier, datasets_root: Path, split: str = "valid") -> dict:
    """Top-1 and the share of photos flipped for each threshold, beside never and always flipping."""
    samples = wide.held_out(clf.config.path, datasets_root, split)
    index = {c: i for i, c in enumerate(clf.config.classes)}
    y = np.array([index[s.label] for s in samples])
    plain, flipped = [], []
    for start in range(0, len(samples), clf.batch_size):
        batch = images.load_batch([s.path for s in samples[start : start + clf.batch_size]])
        plain.append(clf._engine(batch)[0])
        flipped.append(clf._engine(batch[:, :, ::-1])[0])
    first, second = np.concatenate(plain), np.concatenate(flipped)
    t = clf.config.temperature
    confidence = softmax(first, t).max(axis=1)
    both = softmax((first + second) / 2, t)
    rows = {"never": _top1(softmax(first, t), y), "always": _top1(both, y)}
    out: dict = {"split": split, "n": len(y), "top1": rows, "thresholds": []}
    for threshold in THRESHOLDS:
        unsure = confidence < threshold
        mixed = np.where(unsure[:, None], (first + second) / 2, first)
        out["thresholds"].append(
            {
                "below": threshold,
                "flipped": float(unsure.mean()),
                "top1": _top1(softmax(mixed, t), y),
            }
        )
    return out


def _top1(probs: np.ndarray, y: np.ndarray) -> float:
    return float((probs.argmax(axis=1) == y).mean())
