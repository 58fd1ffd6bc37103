"""Train a species head on cached MobileNet features and write a self-contained model directory."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np

from classifier.datasets.samples import Sample
from classifier.evaluation import metrics
from classifier.serving import imagenet, weights
from classifier.serving.calibration import fit_temperature, softmax
from classifier.training import features, sealing
from classifier.training.fitting import Resplit, _inputs, fit_head, head_logits, load_features, save_head
from classifier.training.recipe import TrainOptions, seed_recipe

log = logging.getLogger(__name__)


@cache
def _imagenet_head() -> tuple[np.ndarray, np.ndarray]:
    kernel, bias = weights.load_imagenet_mobilenet().get_layer("conv_preds").get_weights()
    return kernel.reshape(kernel.shape[-2], -1), bias


def imagenet_probabilities(pooled: np.ndarray) -> np.ndarray:
    """The ImageNet head applied to pooled features (dropout is the identity at inference)."""
    kernel, bias = _imagenet_head()  # building MobileNet once per process, not once per split
    return softmax(pooled @ kernel + bias)


def train(
    data_dirs: list[Path],
    out_dir: Path,
    *,
    catalog,
    options: TrainOptions | None = None,
    version: str | None = None,
    extra_samples: Sequence[Sample] = (),
    resplit: Resplit | None = None,
    like: dict | None = None,
    calibration: dict | None = None,
    schedules: dict | None = None,
) -> dict:
    """Train, calibrate, score on the held-out split and save; returns the metrics written.

    ``extra_samples`` join the datasets' own (classifier/training/corrections.py passes reviewed photos as
    "train").
    ``like``: the config of a model trained with this recipe on the held-out split; the model is then
    trained on every photo (train, validation and test) for exactly that model's schedules, with its
    temperature, bird gate and open-set rule, and has no held-out numbers of its own. ``calibration``
    (per-group temperatures and logit adjustment fitted across collections, classifier/serving/calibration.py)
    goes into the config as it is. ``schedules`` (without ``like``): train on the training photos for
    exactly those instead of early stopping on validation, which then stays held out for the temperature
    and the bird gate (a split run repeated for a schedule already chosen, at a fraction of the cost).
    """
    options = options or TrainOptions()
    if options.head == "seed":
        options = seed_recipe(options)
    started = time.monotonic()
    views = {"orig", "flip"} | set(options.train_views)
    data = load_features(data_dirs, catalog, options, views, extra_samples, resplit)
    tta = options.tta
    valid, test = data.split("valid"), data.split("test")
    held_out: dict[str, dict] = {}
    gate_rate = None
    if like is None:
        trained_rows = data.split("train")
        if schedules is None:
            head, schedules = fit_head(data, options)
        else:
            head, _ = fit_head(data, options, refit=schedules, rows=trained_rows)
        valid_logits = head_logits(head, data, valid, head_kind=options.head, tta=tta)
        temperature = fit_temperature(valid_logits, data.y[valid]) if options.calibrate else 1.0
        if options.refit:
            head, _ = fit_head(data, options, refit=schedules)
            trained_rows = np.concatenate([trained_rows, valid])
        gate_valid = imagenet.bird_mass(imagenet_probabilities(data.pooled("orig", valid)))
        threshold = float(np.quantile(gate_valid, 1 - options.bird_recall))
        logits = head_logits(head, data, test, head_kind=options.head, tta=tta)
        test_probs = softmax(logits, temperature)
        for source in sorted({data.samples[i].source for i in test}):
            rows = np.array([k for k, i in enumerate(test) if data.samples[i].source == source])
            held_out[source] = metrics.summary(test_probs[rows], data.y[test][rows])
        gate_test = imagenet.bird_mass(imagenet_probabilities(data.pooled("orig", test)))
        gate_rate = float((gate_test >= threshold).mean())
    else:
        schedules, temperature = like["schedules"], float(like["temperature"])
        threshold = float(like["bird_gate"]["threshold"])
        trained_rows = np.arange(len(data.samples))
        head, _ = fit_head(data, options, refit=schedules, rows=trained_rows)
    elapsed = time.monotonic() - started

    out_dir.mkdir(parents=True, exist_ok=True)
    config_shape = _inputs(data, options.head, "orig", trained_rows[:1]).shape[1:]
    version = version or out_dir.name
    save_head(head, options.head, len(data.classes), config_shape, out_dir / "head.weights.h5")
    photos = np.bincount(data.y[trained_rows], minlength=len(data.classes))
    catalog_subset = catalog.subset(data.classes).with_training_photos(
        {c: int(n) for c, n in zip(data.classes, photos, strict=True)}
    )
    catalog_subset.save(out_dir / "catalog.json")
    config = {
        "version": version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "base": {
            "architecture": "mobilenet_v1_1.0_224",
            "weights_sha256": weights.GRAPH_SHA256,
            "feature_layer": features.FEATURE_LAYER,
        },
        "head": options.head,
        "feature_shape": list(config_shape),
        "classes": data.classes,
        "temperature": temperature,
        "tta_flip": tta,
        "bird_gate": {"imagenet_classes": list(imagenet.BIRD_CLASS_INDICES), "threshold": threshold},
        "data": {
            "dirs": [d.name for d in data_dirs],
            "split_seed": options.seed,
            "valid_fraction": options.valid_fraction,
            "test_fraction": options.test_fraction,
            "counts": {s: int(len(data.split(s))) for s in ("train", "valid", "test")},
            "extra_samples": len(extra_samples),
            "trained_on": "every photo" if like is not None else "train+valid" if options.refit else "train",
            "trained_photos": int(len(trained_rows)),
        },
        "options": {k: v for k, v in asdict(options).items() if k != "extra"},
        "schedules": schedules,
    }
    if calibration is not None:
        config["calibration"] = calibration
    if like is not None and "open_set" in like:
        # The rule was fitted on the held-out photos of the split model; this one has none left to fit on.
        config["open_set"] = like["open_set"]
    result = {
        "version": version,
        "held_out": held_out,
        "temperature": temperature,
        "epochs": {stage: len(rates) for stage, rates in schedules.items()},
        "refit_on_train_and_valid": options.refit,
        "trained_on_every_photo": like is not None,
        "bird_gate_on_held_out_birds": gate_rate,
        "training_seconds": round(elapsed, 1),
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out_dir / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    sealing.seal(out_dir)
    log.info("trained %s in %.0fs: %s", version, elapsed, json.dumps(held_out))
    return result
