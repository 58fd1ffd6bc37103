"""Dataset discovery and the stratified, seeded split."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from classifier.datasets.samples import load_samples, split_counts


def make_flat(root: Path, per_class: dict[str, int]) -> Path:
    for label, n in per_class.items():
        (root / label).mkdir(parents=True)
        for i in range(n):
            (root / label / f"{i:03}.jpg").write_bytes(b"")
    return root


def by_folder(folder: str, source: str) -> str:
    return f"{source}/{folder}"


def test_every_class_is_split_on_its_own_and_keeps_training_photos():
    assert split_counts(49, 0.15, 0.15) == (35, 7, 7)
    assert split_counts(4, 0.15, 0.15) == (2, 1, 1)
    assert split_counts(2, 0.15, 0.15) == (2, 0, 0)


def test_the_split_is_stratified_and_the_same_every_time(tmp_path):
    root = make_flat(tmp_path / "birds", {"Blue_Jay": 20, "Barn_Swallow": 4})
    first = load_samples([root], by_folder, seed=7)
    again = load_samples([root], by_folder, seed=7)
    assert [(s.path, s.split) for s in first] == [(s.path, s.split) for s in again]
    counts = Counter((s.folder_label, s.split) for s in first)
    assert counts[("Blue_Jay", "test")] == 3 and counts[("Barn_Swallow", "test")] == 1
    other = load_samples([root], by_folder, seed=8)
    assert {s.path: s.split for s in other} != {s.path: s.split for s in first}


def test_a_dataset_with_its_own_splits_keeps_them(tmp_path):
    root = tmp_path / "kaggle"
    for split, n in (("train", 5), ("valid", 2), ("test", 1)):
        make_flat(root / split, {"ROBIN": n})
    samples = load_samples([root], by_folder)
    assert Counter(s.split for s in samples) == {"train": 5, "valid": 2, "test": 1}
    assert {s.label for s in samples} == {"kaggle/ROBIN"}


def test_labels_the_resolver_drops_are_left_out(tmp_path):
    root = make_flat(tmp_path / "birds", {"Blue_Jay": 3, "NOT_A_BIRD": 3})
    samples = load_samples([root], lambda f, s: None if f == "NOT_A_BIRD" else f)
    assert {s.folder_label for s in samples} == {"Blue_Jay"}
