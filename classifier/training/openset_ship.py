"""The open-set rule for a shipped model, and how it does on real photos of species outside it.

The leave-species-out run (classifier/evaluation/openset.py) picks the score and the rule: the highest
threshold
that turns at most ``KNOWN_LOSS_BUDGET`` of the photos named right into "unknown". A shipped model knows
every species, so the same rule is applied to the photos it never trained on: its test split (its refit
trained on train + validation, so validation scores would be flattering and set the threshold too high).
The slope of ``P(known)`` is rescaled by the spread of the known photos' scores in each run.

Then the shipped model is scored on the photos of collections it never saw: ``vbet`` (real photos, bird cut
out on white) and ``cub_originals`` (uncropped CUB scenes, named as whole photos here), each split into
photos of the model's species and photos of species it does not have.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from classifier.catalog import Catalog, build_catalog
from classifier.datasets.samples import catalog_resolver, load_samples
from classifier.evaluation.openset import Scored, auroc, fit_thresholds, outcomes
from classifier.serving import calibration, heads, integrity, openset
from classifier.serving.calibration import softmax
from classifier.serving.openset import ALL, OpenSet
from classifier.training import features

log = logging.getLogger(__name__)
UNSURE_BELOW = 0.9  # the model's flip TTA "unsure" line (classifier/serving/inference.py)


def shipped_logits(model_dir: Path, paths: list[Path], *, flip: bool) -> tuple[np.ndarray, float]:
    """Raw species logits of a model from cached features (flip: "unsure" TTA as served) and its cosine
    scale."""
    from classifier.serving.heads import build_head
    from classifier.training.fitting import _predict, cosine_weights

    config = json.loads((model_dir / "config.json").read_text())
    head = build_head(config["head"], len(config["classes"]), feature_shape=tuple(config["feature_shape"]))
    head.load_weights(model_dir / "head.weights.h5")
    layer = heads.feature_layer(config["head"])
    logits = _predict(head, features.compute_feature_maps(paths, "orig", layer=layer))
    if flip:
        unsure = softmax(logits, config["temperature"]).max(axis=1) < UNSURE_BELOW
        unsure_paths = [p for p, u in zip(paths, unsure, strict=True) if u]
        flipped = _predict(head, features.compute_feature_maps(unsure_paths, "flip", layer=layer))
        logits[unsure] = (logits[unsure] + flipped) / 2
    return np.asarray(logits, dtype=np.float64), cosine_weights(head)[1]


def calibrate(model_dir: Path, leave_out: dict, datasets: Path, *, flip: bool = False) -> dict:
    """Fit the rule on the shipped model's test split, score the unseen collections, write the config."""
    config = json.loads((model_dir / "config.json").read_text())
    catalog = Catalog.load(model_dir / "catalog.json")
    classes = config["classes"]
    index = {c: i for i, c in enumerate(classes)}
    to_probs = calibration.for_model(model_dir)
    photos = calibration.class_photos(classes, catalog)
    dirs = [datasets / d for d in config["data"]["dirs"]]
    samples = load_samples(
        dirs,
        catalog_resolver(catalog),
        seed=config["data"]["split_seed"],
        valid_fraction=config["data"]["valid_fraction"],
        test_fraction=config["data"]["test_fraction"],
    )
    test = [s for s in samples if s.split == "test"]
    logits, scale = shipped_logits(model_dir, [s.path for s in test], flip=flip)
    held = Scored(logits, to_probs(logits), np.array([index[s.label] for s in test]), photos, scale)

    chosen = OpenSet.from_config({"open_set": leave_out["rule"]})
    per_group = set(chosen.thresholds) != {ALL} and bool(photos.any())
    correct = held.probs.argmax(axis=1) == held.y
    score = openset.scores(held.logits, held.probs, scale)[chosen.score]
    groups = held.groups(chosen.few_photos_max)
    thresholds = fit_thresholds(score, correct, groups, per_group=per_group)
    spread = float(score.std())
    rule = replace(
        chosen,
        thresholds=thresholds,
        scale=scale,
        slope=chosen.slope * chosen.notes["known_score_std"] / spread,
        notes={
            "chosen_by": "python -m classifier evaluate-open-set (leave-species-out, seed "
            f"{leave_out['seed']}): score and rule; thresholds refitted on this model's test split",
            "budget": chosen.notes["budget"],
            "known_score_std": spread,
            "per_group_in_leave_out": set(chosen.thresholds) != {ALL},
        },
    )
    report = {
        "rule": rule.as_config(),
        "flip_tta": flip,
        "held_out_known": outcomes(held, rule, classes, catalog),
    }
    for name in ("vbet", "cub_originals"):
        if (datasets / name).is_dir():
            report[name] = _unseen(datasets / name, model_dir, rule, classes, catalog, to_probs, photos, flip)
    config["open_set"] = rule.as_config()
    (model_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (model_dir / "evaluation").mkdir(exist_ok=True)
    (model_dir / "evaluation" / "open-set.json").write_text(json.dumps(report, indent=2) + "\n")
    integrity.seal_model(model_dir)  # config.json changed
    return report


def _unseen(folder: Path, model_dir: Path, rule: OpenSet, classes, catalog, to_probs, photos, flip) -> dict:
    local = build_catalog([folder])
    samples = load_samples([folder], catalog_resolver(local), test_fraction=0.0, valid_fraction=0.0)
    index = {c: i for i, c in enumerate(classes)}
    logits, _ = shipped_logits(model_dir, [s.path for s in samples], flip=flip)
    data = Scored(
        logits, to_probs(logits), np.array([index.get(s.label, -1) for s in samples]), photos, rule.scale
    )
    score = rule.score_of(data.logits, data.probs)
    outside = sorted({s.folder_label for s in samples if s.label not in index})
    return {
        **outcomes(data, rule, classes, catalog),
        "without_rule": outcomes(data, None, classes, catalog),
        "auroc": round(auroc(score[data.y >= 0], score[data.y < 0]), 4),
        "species_outside_model": outside,
    }
