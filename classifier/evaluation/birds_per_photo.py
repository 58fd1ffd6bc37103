"""How often a photo of one bird is answered with more than one (``evaluate-extra-birds``).

Phantom second birds (a rail, a branch, a part of a large bird) become sightings of their own, so this
counts, per collection of a model's held-out split, the photos answered with more than one bird. Every
photo of these collections is taken to show one bird; a few CUB photos may really show two.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from classifier.catalog import Catalog
from classifier.datasets.samples import catalog_resolver, load_samples
from classifier.result import PhotoResult


def held_out(model_dir: Path, datasets: Path, split: str) -> dict[str, list[Path]]:
    """The ``split`` photos of a model's own datasets, per collection, as its training split them."""
    data = json.loads((model_dir / "config.json").read_text())["data"]
    samples = load_samples(
        [datasets / name for name in data["dirs"]],
        catalog_resolver(Catalog.load(model_dir / "catalog.json")),
        seed=data["split_seed"],
        valid_fraction=data["valid_fraction"],
        test_fraction=data["test_fraction"],
    )
    found: dict[str, list[Path]] = {}
    for sample in samples:
        if sample.split == split:
            found.setdefault(sample.source, []).append(sample.path)
    return found


def count(
    predict: Callable[[Sequence[Path]], list[PhotoResult]], photos: dict[str, list[Path]]
) -> dict[str, Any]:
    """``{collection: {photos, more_than_one_bird, share}}`` and ``all``."""
    report: dict[str, Any] = {}
    total = extra = 0
    for source, paths in sorted(photos.items()):
        several = sum(len(result.birds) > 1 for result in predict(paths))
        report[source] = {
            "photos": len(paths),
            "more_than_one_bird": several,
            "share": several / max(1, len(paths)),
        }
        total, extra = total + len(paths), extra + several
    report["all"] = {"photos": total, "more_than_one_bird": extra, "share": extra / max(1, total)}
    return report
