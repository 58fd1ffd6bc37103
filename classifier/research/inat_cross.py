"""Cross-collection scores of the iNat-backbone recipe: train on one collection, test its taxa on another.

The photos of one collection look alike, so a number on its own split flatters. Here a head learns every
photo of one collection (``gpiosenka525``: 4 photos a species, the few-photo case; ``cub100``: ~35), is put
in union with the iNat head with a model's fitted scale (``union`` in its config), and names the photos of
the same taxa in another collection (``cub100``, ``vbet``, ``gpiosenka525``), with flip averaging. Top-1
and ECE per pair, for the union head and for our head alone (``python -m classifier evaluate-cross-inat``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from classifier.catalog import Catalog
from classifier.datasets.samples import Sample, catalog_resolver, load_samples
from classifier.evaluation import metrics
from classifier.serving.calibration import softmax
from classifier.training import inat_fit
from classifier.training.inat_train import _fit_head, _mean_views, calibrator

PAIRS = (
    ("gpiosenka525", "cub100"),
    ("gpiosenka525", "vbet"),
    ("cub100", "gpiosenka525"),
    ("cub100", "vbet"),
)


def evaluate(datasets: Path, model_dir: Path, pairs=PAIRS) -> dict:
    config = json.loads((model_dir / "config.json").read_text())
    fit = inat_fit.UnionFit(
        config["union"]["scale"], config["union"]["shift"], config["union"]["few_lift"], config["temperature"]
    )
    catalog = Catalog.load(model_dir / "catalog.json")
    names = sorted({name for pair in pairs for name in pair})
    samples = load_samples([datasets / n for n in names], catalog_resolver(catalog), test_fraction=0.0)
    by_source: dict[str, list[Sample]] = {n: [s for s in samples if s.source == n] for n in names}
    keys = inat_fit.inat_keys()
    report = {}
    for train_on, test_on in pairs:
        trained = by_source[train_on]
        classes = sorted({s.label for s in trained})
        tested = [s for s in by_source[test_on] if s.label in set(classes)]
        weights, bias = _fit_head(trained, classes)
        counts = {c: sum(s.label == c for s in trained) for c in classes}
        few = np.array([counts[c] <= 5 for c in classes])
        head, extra = inat_fit.union_head(weights, bias, classes, few, keys, fit)
        pooled, logits = _mean_views(tested)
        position = {c: i for i, c in enumerate([*classes, *extra])}
        target = np.array([position[s.label] for s in tested])
        row = {"train_photos_per_taxon": round(float(np.mean(list(counts.values()))), 1), "n": len(tested)}
        temperatures = config.get("calibration", {}).get("group_temperatures", {})
        union_calibrate = calibrator(few, len(position), fit.temperature, temperatures)
        for name, z, calibrate in (
            ("union", head.logits(pooled, logits), union_calibrate),
            ("ours_only", pooled @ weights + bias, lambda z: softmax(z, fit.temperature)),
        ):
            probs = calibrate(z)
            row[name] = {
                "top1": round(float((probs.argmax(1) == target).mean()), 4),
                "ece": round(float(metrics.expected_calibration_error(probs, target)), 4),
            }
        report[f"{train_on} -> {test_on}"] = row
    return report
