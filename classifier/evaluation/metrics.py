"""Accuracy and calibration measures and the report's figures (temperature scaling itself is serving's:
``classifier/serving/calibration.py``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def top_k_accuracy(probs: np.ndarray, y: np.ndarray, k: int) -> float:
    top = np.argsort(-probs, axis=1)[:, :k]
    return float((top == y[:, None]).any(axis=1).mean()) if len(y) else float("nan")


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Mean |accuracy − confidence| of the top-1 prediction over equal-width confidence bins."""
    if not len(y):
        return float("nan")
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        in_bin = (confidence > lo) & (confidence <= hi)
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def summary(probs: np.ndarray, y: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score

    pred = probs.argmax(axis=1)
    present = np.unique(y)  # macro over the classes this set actually contains
    return {
        "n": int(len(y)),
        "top1": top_k_accuracy(probs, y, 1),
        "top5": top_k_accuracy(probs, y, 5),
        "macro_f1": float(f1_score(y, pred, labels=present, average="macro", zero_division=0)),
        "ece": expected_calibration_error(probs, y),
        "nll": float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, None)).mean()),
    }


def per_class(probs: np.ndarray, y: np.ndarray, classes: list[str]) -> list[dict]:
    from sklearn.metrics import precision_recall_fscore_support

    present = np.unique(y)
    p, r, f, s = precision_recall_fscore_support(y, probs.argmax(axis=1), labels=present, zero_division=0)
    return [
        {
            "label": classes[c],
            "precision": float(pi),
            "recall": float(ri),
            "f1": float(fi),
            "support": int(si),
        }
        for c, pi, ri, fi, si in zip(present, p, r, f, s, strict=True)
    ]


def plot_reliability(probs: np.ndarray, y: np.ndarray, path: Path, title: str, bins: int = 15) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    edges = np.linspace(0, 1, bins + 1)
    centers, accuracy, counts = [], [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        in_bin = (confidence > lo) & (confidence <= hi)
        if in_bin.any():
            centers.append(confidence[in_bin].mean())
            accuracy.append(correct[in_bin].mean())
            counts.append(in_bin.sum())
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(5, 6), height_ratios=[3, 1], sharex=True)
    top.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    top.plot(centers, accuracy, "o-", color="tab:blue", label="this model")
    top.set_ylabel("accuracy")
    top.set_title(f"{title}\nECE {expected_calibration_error(probs, y, bins):.3f}")
    top.legend(loc="upper left")
    bottom.bar(centers, counts, width=1 / bins * 0.9, color="tab:blue")
    bottom.set_xlabel("confidence of the top prediction")
    bottom.set_ylabel("photos")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confusion(probs: np.ndarray, y: np.ndarray, classes: list[str], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    present = np.unique(np.concatenate([y, probs.argmax(axis=1)]))
    matrix = confusion_matrix(y, probs.argmax(axis=1), labels=present).astype(float)
    matrix /= np.clip(matrix.sum(axis=1, keepdims=True), 1, None)
    size = min(30, 4 + len(present) * 0.05)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="viridis", interpolation="nearest")
    if len(present) <= 60:
        names = [classes[i] for i in present]
        ax.set_xticks(range(len(present)), names, rotation=90, fontsize=6)
        ax.set_yticks(range(len(present)), names, fontsize=6)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title} (rows normalised, {len(present)} classes)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
