"""Train a union-head model on the iNat backbone and write a self-contained model directory.

One run, on the seeded split of the model's datasets (the split every model of ours uses):

1. Our taxa that the iNat head also knows: a seeded 30 % is left out of a head trained on the training
   photos; its union with the iNat head is fitted on the validation photos (``inat_fit.fit_union``).
2. The split head (every taxon, training photos) with that fit: held-out numbers on the test split —
   top-1 per dataset, ECE, how the left-out species fare through the iNat head, and the open-set rule
   (chosen on validation with the left-out species made unknown to both heads, scored on test).
3. With ``every_photo``, the shipped head is trained on train, validation and test for the same fit.

Heads only, on cached features: minutes, not an hour (``python -m classifier train-inat``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from classifier.catalog import Catalog, species_of
from classifier.datasets.samples import Sample, catalog_resolver, load_samples
from classifier.evaluation import metrics
from classifier.evaluation.openset import auroc
from classifier.serving import calibration, openset
from classifier.serving.backbones import inat
from classifier.serving.backbones.union import UnionHead
from classifier.serving.calibration import fit_temperature
from classifier.serving.openset import OpenSet
from classifier.training import inat_features, inat_fit, sealing

log = logging.getLogger(__name__)

FEW_PHOTOS = 5  # a taxon learned from this many photos or fewer is "few" (as calibration.FEW_PHOTOS)
OPEN_SET_BUDGET = 0.015  # share of known validation photos the open-set rule may call unknown
# Feature-space prototype cosine was measured too (AUROC 0.877 valid / 0.898 test, beside energy 0.887 / 0.897
# and max probability 0.856 / 0.876): no better than energy, and it needs class means at serving.
OPEN_SET_SCORES = ("max_probability", "energy")
SURE = 0.6  # "likely" or better on the pages
Calibrate = Callable[[np.ndarray], np.ndarray]


def _mean_views(samples: Sequence[Sample]) -> tuple[np.ndarray, np.ndarray]:
    paths = [s.path for s in samples]
    (p, lg), (pf, lgf) = inat_features.outputs(paths, "orig"), inat_features.outputs(paths, "flip")
    return (p + pf) / 2, (lg + lgf) / 2


def _fit_head(samples: Sequence[Sample], classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Our head on both views of ``samples`` (a flip is a second training photo)."""
    index = {c: i for i, c in enumerate(classes)}
    paths = [s.path for s in samples]
    (p, _), (pf, _) = inat_features.outputs(paths, "orig"), inat_features.outputs(paths, "flip")
    labels = np.array([index[s.label] for s in samples] * 2)
    return inat_fit.fit_linear(np.concatenate([p, pf]), labels, len(classes))


def _few(samples: Sequence[Sample], classes: Sequence[str]) -> np.ndarray:
    counts = {c: 0 for c in classes}
    for s in samples:
        counts[s.label] += 1
    return np.array([counts[c] <= FEW_PHOTOS for c in classes])


def _top1(pred: np.ndarray, target: np.ndarray, sources: np.ndarray) -> dict[str, dict[str, float]]:
    rows = {}
    for source in [*sorted(set(sources.tolist())), "all"]:
        m = np.ones(len(target), bool) if source == "all" else sources == source
        rows[source] = {"n": int(m.sum()), "top1": round(float((pred[m] == target[m]).mean()), 4)}
    return rows


def train_inat(
    data_dirs: Sequence[Path],
    out_dir: Path,
    *,
    catalog: Catalog,
    version: str,
    bird_gate: dict,
    seed: int = 20201,
    valid_fraction: float = 0.15,
    test_fraction: float = 0.15,
    every_photo: bool = False,
    extra_samples: Sequence[Sample] = (),
) -> dict:
    """Fit, score on the held-out split and save (see the module docstring); returns the metrics.

    ``extra_samples`` (reviewed photos, ``classifier/training/corrections.py``) join the training photos; a
    label
    none of the datasets has becomes a class of ours, learned from those photos (and, where the iNat head
    knows that species too, mixed with its logit like every shared species)."""
    started = time.monotonic()
    samples = load_samples(
        data_dirs,
        catalog_resolver(catalog),
        seed=seed,
        valid_fraction=valid_fraction,
        test_fraction=test_fraction,
    )
    samples = [*samples, *(s for s in extra_samples if s.split == "train")]
    split = {name: [s for s in samples if s.split == name] for name in ("train", "valid", "test")}
    classes = sorted({s.label for s in samples})
    keys = inat_fit.inat_keys()
    left_out = set(inat_fit.leave_out(classes, keys))
    kept = [c for c in classes if c not in left_out]

    # 1. the union's scale, fitted with species of ours left out
    train_kept = [s for s in split["train"] if s.label not in left_out]
    few_kept = _few(train_kept, kept)
    w_kept, b_kept = _fit_head(train_kept, kept)
    valid_pooled, valid_logits = _mean_views(split["valid"])
    labels = [s.label for s in split["valid"]]
    fit = inat_fit.fit_union(w_kept, b_kept, kept, few_kept, keys, valid_pooled, valid_logits, labels)
    log.info("union fit: %s", fit)

    # 2. the split head, scored on test
    few_split = _few(split["train"], classes)
    w_split, b_split = _fit_head(split["train"], classes)
    split_head, extra = inat_fit.union_head(w_split, b_split, classes, few_split, keys, fit)
    union_classes = [*classes, *extra]
    kept_head, kept_extra = inat_fit.union_head(w_kept, b_kept, kept, few_kept, keys, fit)
    kept_classes = [*kept, *kept_extra]
    # One temperature per group of the top class (few-photo taxa of ours, the rest, the iNat head's own),
    # fitted on validation with the left-out species answered through the iNat head.
    temperatures = fit_group_temperatures(kept_head, kept_classes, split["valid"], few_kept, fit.temperature)
    calibrate_kept = calibrator(few_kept, len(kept_classes), fit.temperature, temperatures)
    calibrate = calibrator(few_split, len(union_classes), fit.temperature, temperatures)
    held_out, overall = score(split_head, union_classes, split["test"], calibrate, few_split)
    rule, open_set = fit_open_set(
        (w_kept, b_kept, kept, few_kept), keys, fit, split["valid"], split["test"], left_out, calibrate_kept
    )  # fmt: skip

    # 3. the head that ships
    trained = samples if every_photo else split["train"]
    weights, bias = (w_split, b_split) if not every_photo else _fit_head(trained, classes)
    head, _ = inat_fit.union_head(weights, bias, classes, _few(trained, classes), keys, fit)
    out_dir.mkdir(parents=True, exist_ok=True)
    head.save(out_dir)
    photos = {c: int(sum(s.label == c for s in trained)) for c in classes}
    write_catalog(catalog, classes, extra, photos, out_dir / "catalog.json")
    config = {
        "version": version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "base": {
            "backbone": "inat-mnv2",
            "architecture": inat.NAME,
            "sha256": inat.SHA256[inat.MODEL_FILE.name],
        },
        "head": "union",
        "feature_shape": [inat.FEATURE_SIZE],
        "classes": union_classes,
        "own_classes": len(classes),
        "temperature": fit.temperature,
        "calibration": {"group_temperatures": temperatures, "few_photos_max": FEW_PHOTOS},
        "tta_flip": True,
        "bird_gate": bird_gate,
        "open_set": rule.as_config(),
        "union": {
            "scale": fit.scale,
            "shift": fit.shift,
            "few_lift": fit.few_lift,
            "few_photos_max": FEW_PHOTOS,
            "unknown_weight": inat_fit.UNKNOWN_WEIGHT,
            "left_out_to_fit": sorted(left_out),
            "extra_species": len(extra),
        },
        "data": {
            "dirs": [Path(d).name for d in data_dirs],
            "split_seed": seed,
            "valid_fraction": valid_fraction,
            "test_fraction": test_fraction,
            "counts": {name: len(rows) for name, rows in split.items()},
            "extra_samples": len(extra_samples),
            "trained_on": "every photo" if every_photo else "train",
            "trained_photos": len(trained),
        },
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    result = {
        "version": version,
        "held_out": held_out,  # {dataset: summary}, as every model's metrics have it
        "held_out_all": overall,
        "left_out_species": score_left_out(kept_head, kept_classes, split["test"], left_out, calibrate_kept),
        "open_set": open_set,
        "union_fit": {"scale": fit.scale, "shift": fit.shift, "few_lift": fit.few_lift, "T": fit.temperature},
        "group_temperatures": temperatures,
        "training_seconds": round(time.monotonic() - started, 1),
    }
    (out_dir / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    sealing.seal(out_dir)
    return result


def score(head: UnionHead, classes: Sequence[str], rows: Sequence[Sample], calibrate: Calibrate, few):
    """``({dataset: metrics.summary}, {"all": summary, "ece_by_support": …})``: the first in the shape every
    model's ``held_out`` has (a retraining compares with its base on it); flip averaged."""
    probs, target = union_probabilities(head, classes, rows, calibrate)
    sources = np.array([s.source for s in rows])

    def rounded(m: np.ndarray) -> dict[str, float]:
        return {k: round(v, 4) for k, v in metrics.summary(probs[m], target[m]).items()}

    per_dataset = {source: rounded(sources == source) for source in sorted(set(sources.tolist()))}
    groups = {"few": few[target], "many": ~few[target]}
    overall = {
        "all": rounded(np.ones(len(target), bool)),
        "ece_by_support": {
            g: round(float(metrics.expected_calibration_error(probs[m], target[m])), 4)
            for g, m in groups.items()
            if m.any()
        },
    }
    return per_dataset, overall


def union_logits(head: UnionHead, classes, rows) -> tuple[np.ndarray, np.ndarray]:
    """Logits of ``rows`` (orig and flip averaged, as serving does) and their targets."""
    paths = [s.path for s in rows]
    (p, lg), (pf, lgf) = inat_features.outputs(paths, "orig"), inat_features.outputs(paths, "flip")
    position = {c: i for i, c in enumerate(classes)}
    return (head.logits(p, lg) + head.logits(pf, lgf)) / 2, np.array([position[s.label] for s in rows])


def union_probabilities(
    head: UnionHead, classes, rows, calibrate: Calibrate
) -> tuple[np.ndarray, np.ndarray]:
    z, target = union_logits(head, classes, rows)
    return calibrate(z), target


def fit_group_temperatures(
    head: UnionHead, classes, rows, few: np.ndarray, fallback: float
) -> dict[str, float]:
    """The temperature minimising each group's log loss, the group being that of the top class."""
    z, target = union_logits(head, classes, rows)
    top = z.argmax(axis=1)
    own = len(few)
    few_top = np.concatenate([few, np.zeros(len(classes) - own, bool)])[top]
    groups = {"few": (top < own) & few_top, "many": (top < own) & ~few_top, "inat": top >= own}
    return {g: fit_temperature(z[m], target[m]) if m.sum() >= 10 else fallback for g, m in groups.items()}


def calibrator(few: np.ndarray, classes: int, temperature: float, groups: dict[str, float]) -> Calibrate:
    """``logits -> probabilities`` with the group temperatures, as ``classifier/serving/calibration.py``
    serves."""
    photos = np.zeros(classes)
    photos[: len(few)] = np.where(few, 1, FEW_PHOTOS + 1)
    setting = calibration.Calibration(
        temperature=temperature, group_temperatures=groups, few_photos_max=FEW_PHOTOS, extra_from=len(few)
    )
    return lambda z: calibration.probabilities(z, photos, setting)


def score_left_out(head: UnionHead, classes, rows, left_out: set[str], calibrate: Calibrate) -> dict:
    """The test photos of the species left out of our head: named through the iNat head only."""
    chosen = [s for s in rows if s.label in left_out]
    probs, _ = union_probabilities(head, classes, chosen, calibrate)
    position = {c: i for i, c in enumerate(classes)}
    target = np.array([position[s.label] for s in chosen])
    report = {
        "species": len(left_out),
        "top1": _top1(probs.argmax(1), target, np.array([s.source for s in chosen])),
    }
    report["ece"] = round(float(metrics.expected_calibration_error(probs, target)), 4)
    return report


def fit_open_set(kept_parts, keys, fit, valid, test, left_out: set[str], calibrate) -> tuple[OpenSet, dict]:
    """The open-set rule, with the left-out species unknown to both heads (their iNat outputs are dropped
    too): of ``OPEN_SET_SCORES``, the score that separates them best on validation; its threshold calls
    ``OPEN_SET_BUDGET`` of known validation photos unknown."""
    weights, bias, kept, few = kept_parts
    blind = [None if k in left_out else k for k in keys]
    head, _ = inat_fit.union_head(weights, bias, kept, few, blind, fit)

    def scored(rows: Sequence[Sample]) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        pooled, logits = _mean_views(rows)
        z = head.logits(pooled, logits)
        probs = calibrate(z)
        every = openset.scores(z, probs)
        unknown = np.array([s.label in left_out for s in rows])
        return {k: every[k] for k in OPEN_SET_SCORES}, probs.max(1), unknown

    v_scores, _, v_unknown = scored(valid)
    t_scores, t_top, t_unknown = scored(test)
    aurocs = {k: float(auroc(v[~v_unknown], v[v_unknown])) for k, v in v_scores.items()}
    name = max(aurocs, key=lambda k: aurocs[k])
    threshold = float(np.quantile(v_scores[name][~v_unknown], OPEN_SET_BUDGET))
    rule = OpenSet(
        score=name,
        thresholds={"all": threshold},
        slope=4.0 / max(float(np.std(v_scores[name][~v_unknown])), 1e-6),
        bias=0.0,
        few_photos_max=FEW_PHOTOS,
        notes={
            "chosen_by": "inat_train.fit_open_set (left-out species unknown to both heads)",
            "budget": OPEN_SET_BUDGET,
            "auroc_valid": {k: round(v, 4) for k, v in aurocs.items()},
        },
    )
    flagged = t_scores[name] < threshold
    report = {
        "score": name,
        "auroc_valid": {k: round(v, 4) for k, v in aurocs.items()},
        "auroc_test": {k: round(float(auroc(v[~t_unknown], v[t_unknown])), 4) for k, v in t_scores.items()},
        "threshold": threshold,
        "unknown_photos_test": int(t_unknown.sum()),
        "unknown_caught_test": round(float(flagged[t_unknown].mean()), 4),
        # What a birder sees: a species answered "likely" or better although it is none the model knows.
        "unknown_answered_sure_test": round(float((~flagged & (t_top >= SURE))[t_unknown].mean()), 4),
        "unknown_sure_without_rule_test": round(float((t_top >= SURE)[t_unknown].mean()), 4),
        "known_called_unknown_test": round(float(flagged[~t_unknown].mean()), 4),
    }
    return rule, report


def write_catalog(catalog: Catalog, ours, extra, photos: dict[str, int], path: Path) -> None:
    """Our taxa with the photos each was learned from, then the species only the iNat head knows."""
    from classifier.catalog.taxonomy import taxonomy

    tax = taxonomy()
    # A species a reviewer added (not in the datasets' catalog) comes from the taxonomy, as the extra ones.
    own = catalog.subset([k for k in ours if k in catalog])
    added = [species_of(tax.taxa[key], ()) for key in ours if key not in catalog]
    records = [*Catalog([*own, *added], own.taxonomy_version).with_training_photos(photos)]
    records += [species_of(tax.taxa[key], ()) for key in extra]
    Catalog(records, own.taxonomy_version, own.report).save(path)


def score_held_out(model_dir: Path, samples: Sequence[Sample]) -> dict[str, dict]:
    """An iNat-backbone model's ``{dataset: summary}`` on the test samples of its classes: a retraining's
    base scored on the very photos the new model is (``classifier/training/corrections.py``)."""
    config = json.loads((Path(model_dir) / "config.json").read_text())
    classes = list(config["classes"])
    known = set(classes)
    test = [s for s in samples if s.split == "test" and s.label in known]
    if not test:
        return {}
    calibrate = calibration.for_model(Path(model_dir))
    probs, target = union_probabilities(UnionHead.load(Path(model_dir)), classes, test, calibrate)
    sources = np.array([s.source for s in test])
    return {
        source: metrics.summary(probs[sources == source], target[sources == source])
        for source in sorted(set(sources.tolist()))
    }
