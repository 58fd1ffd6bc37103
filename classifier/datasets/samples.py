"""Folder-per-class datasets: discovery and a stratified, seeded train/validation/test split."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"}
# Kaggle's folder names for its splits; anything else directly inside a dataset is a class folder.
SPLIT_ALIASES = {
    "train": "train",
    "training": "train",
    "valid": "valid",
    "val": "valid",
    "validation": "valid",
    "test": "test",
}


@dataclass(frozen=True)
class Sample:
    path: Path
    source: str  # the dataset folder's name, e.g. "cub100"
    folder_label: str  # the class folder's name as the dataset spells it
    label: str  # the catalog key it resolves to
    split: str  # train / valid / test


def scan_dataset(root: Path) -> list[tuple[Path, str, str | None]]:
    """``(image, class folder, split or None)`` for every image of a folder-per-class dataset."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"dataset folder {root} does not exist")
    found: list[tuple[Path, str, str | None]] = []
    split_dirs = [d for d in root.iterdir() if d.is_dir() and d.name.lower() in SPLIT_ALIASES]
    if split_dirs:
        for split_dir in split_dirs:
            found += [(p, c, SPLIT_ALIASES[split_dir.name.lower()]) for p, c in _class_images(split_dir)]
    else:
        found = [(p, c, None) for p, c in _class_images(root)]
    return found


def _class_images(root: Path) -> Iterable[tuple[Path, str]]:
    for class_dir in sorted(d for d in root.iterdir() if d.is_dir()):
        for path in sorted(class_dir.iterdir()):
            if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
                yield path, class_dir.name


def split_counts(n: int, valid_fraction: float, test_fraction: float) -> tuple[int, int, int]:
    """How many of a class's ``n`` images go to train/valid/test: every class keeps ≥1 training image,
    and gets one validation and one test image as soon as it has three."""
    if n < 3:
        return n, 0, 0
    n_test = max(1, round(n * test_fraction))
    n_valid = max(1, round(n * valid_fraction))
    return n - n_test - n_valid, n_valid, n_test


def load_samples(
    roots: Iterable[Path],
    resolve: Callable[[str, str], str | None],
    *,
    seed: int = 20201,
    valid_fraction: float = 0.15,
    test_fraction: float = 0.15,
) -> list[Sample]:
    """All images of the datasets with their catalog label and split.

    Datasets that ship their own split keep it; flat ones are split per class folder, seeded, so the
    same photo always lands in the same split.
    """
    samples: list[Sample] = []
    for root in roots:
        root = Path(root)
        source = root.name
        entries = scan_dataset(root)
        by_class: dict[str, list[tuple[Path, str | None]]] = defaultdict(list)
        for path, folder, split in entries:
            by_class[folder].append((path, split))
        for folder, items in sorted(by_class.items()):
            label = resolve(folder, source)
            if label is None:  # the catalog leaves this folder out (not a bird taxon it can name)
                continue
            if all(split is not None for _, split in items):
                samples += [Sample(p, source, folder, label, s) for p, s in items if s is not None]
                continue
            paths = sorted(p for p, _ in items)
            random.Random(f"{seed}:{source}:{folder}").shuffle(paths)
            n_train, n_valid, _ = split_counts(len(paths), valid_fraction, test_fraction)
            for i, path in enumerate(paths):
                split = "train" if i < n_train else "valid" if i < n_train + n_valid else "test"
                samples.append(Sample(path, source, folder, label, split))
    return samples


def catalog_resolver(catalog) -> Callable[[str, str], str | None]:
    """Folder name → catalog key; ``None`` for labels the catalog excludes on review."""
    from classifier.catalog import ExcludedLabel

    def resolve(folder: str, source: str) -> str | None:
        try:
            return catalog.resolve(folder, source).key
        except ExcludedLabel:
            return None

    return resolve
