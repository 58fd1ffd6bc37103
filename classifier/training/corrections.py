"""Retrain on the datasets plus reviewed photos, and score old and new model on the same held-out set.

Reviewers' labels arrive as ``(image path, catalog key)`` pairs. They join the training split only: the
held-out (test) split stays exactly the one the datasets' seeded split gives, so the numbers of a retrained
model and of the model it replaces are comparable. A reviewed photo whose content is one of the held-out
photos is dropped (it would leak the answer), and so is a label none of the datasets has (the head would
learn a class from a handful of photos and nothing to validate it on).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifier.datasets.samples import Sample, catalog_resolver, load_samples
from classifier.evaluation import metrics
from classifier.serving.calibration import softmax
from classifier.training import features

log = logging.getLogger(__name__)
SOURCE = "corrections"


@dataclass(frozen=True)
class Correction:
    path: Path
    label: str  # catalog key


@dataclass
class CorrectionReport:
    used: int = 0
    unknown_label: int = 0
    held_out_photo: int = 0
    unreadable: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def _content(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def dataset_samples(
    data_dirs: Sequence[Path], catalog, *, seed: int, valid: float, test: float
) -> list[Sample]:
    return load_samples(
        list(data_dirs), catalog_resolver(catalog), seed=seed, valid_fraction=valid, test_fraction=test
    )


def held_out_fingerprint(samples: Iterable[Sample]) -> str:
    """Names the held-out set: two models scored on sets with the same fingerprint are comparable."""
    names = sorted(f"{s.source}/{s.folder_label}/{s.path.name}" for s in samples if s.split == "test")
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def correction_samples(
    corrections: Iterable[Correction], samples: Sequence[Sample], *, new_labels: Iterable[str] = ()
) -> tuple[list[Sample], CorrectionReport]:
    """Training samples for the reviewed photos that may be used, and why the others were not.

    ``new_labels``: labels none of the datasets has that may still be learned (a recipe that can add a
    species from reviewed photos alone, as the iNat backbone's, passes the taxonomy's species)."""
    known = {s.label for s in samples} | set(new_labels)
    held_out = {_content(s.path) for s in samples if s.split == "test"}
    report = CorrectionReport()
    extra: list[Sample] = []
    for c in corrections:
        if c.label not in known:
            report.unknown_label += 1
            continue
        try:
            digest = _content(c.path)
        except OSError:
            report.unreadable += 1
            continue
        if digest in held_out:
            report.held_out_photo += 1
            continue
        extra.append(Sample(Path(c.path), SOURCE, c.label, c.label, "train"))
        report.used += 1
    return extra, report


def score_held_out(model_dir: Path, samples: Sequence[Sample]) -> dict[str, dict]:
    """A model directory's top-1/top-5/F1/ECE per dataset on the held-out samples, from cached features.

    The same computation ``train`` uses for its own held-out numbers (its head over the cached base
    features, flip averaged when the model uses it, its temperature), so the two are directly comparable.
    """
    from classifier.serving import heads
    from classifier.training.fitting import FeatureSet, head_logits

    config = json.loads((Path(model_dir) / "config.json").read_text())
    classes, kind = list(config["classes"]), config["head"]
    index = {c: i for i, c in enumerate(classes)}
    test = [s for s in samples if s.split == "test" and s.label in index]
    if not test:
        return {}
    head = heads.build_head(kind, len(classes), feature_shape=tuple(config["feature_shape"]))
    head.load_weights(Path(model_dir) / "head.weights.h5")
    views = ("orig", "flip") if config.get("tta_flip") else ("orig",)
    paths = [s.path for s in test]
    maps = {v: features.compute_feature_maps(paths, v) for v in views}
    block12 = {}
    if heads.canonical(kind) == "block13":
        layer = heads.feature_layer(kind)
        block12 = {v: features.compute_feature_maps(paths, v, layer=layer) for v in views}
    y = np.array([index[s.label] for s in test])
    data = FeatureSet(list(test), classes, y, maps, block12)
    logits = head_logits(head, data, np.arange(len(test)), head_kind=kind, tta=bool(config.get("tta_flip")))
    probs = softmax(logits, float(config["temperature"]))
    result = {}
    for source in sorted({s.source for s in test}):
        rows = np.array([i for i, s in enumerate(test) if s.source == source])
        result[source] = metrics.summary(probs[rows], y[rows])
    return result


def overall(held_out: dict[str, dict]) -> dict[str, float]:
    """Photo-weighted top-1 and top-5 over all held-out datasets."""
    n = sum(m["n"] for m in held_out.values())
    if not n:
        return {"n": 0, "top1": float("nan"), "top5": float("nan")}
    return {
        "n": n,
        "top1": sum(m["top1"] * m["n"] for m in held_out.values()) / n,
        "top5": sum(m["top5"] * m["n"] for m in held_out.values()) / n,
    }


def train_with_corrections(
    data_dirs: Sequence[Path],
    out_dir: Path,
    *,
    corrections: Iterable[Correction],
    catalog,
    options=None,
    version: str | None = None,
    base_model_dir: Path | None = None,
) -> dict:
    """``train.train`` on the datasets plus the usable corrections; returns and writes its metrics with
    ``corrections`` (what was used), ``held_out_set`` (fingerprint) and, given ``base_model_dir``,
    ``base_held_out``: the base model scored on the very same held-out photos."""
    from classifier.serving.backbones.union import read_backbone
    from classifier.training.train import TrainOptions, train

    options = options or TrainOptions()
    samples = dataset_samples(
        data_dirs, catalog, seed=options.seed, valid=options.valid_fraction, test=options.test_fraction
    )
    inat = base_model_dir is not None and read_backbone(Path(base_model_dir)) == "inat-mnv2"
    extra, report = correction_samples(corrections, samples, new_labels=_species_keys() if inat else ())
    log.info("retraining with corrections: %s", report.as_dict())
    if inat:
        from classifier.training.inat_train import score_held_out as score_inat
        from classifier.training.inat_train import train_inat

        base_config = json.loads((Path(base_model_dir) / "config.json").read_text())
        result = train_inat(
            list(data_dirs), Path(out_dir), catalog=catalog, version=version or Path(out_dir).name,
            bird_gate=base_config["bird_gate"], seed=options.seed, valid_fraction=options.valid_fraction,
            test_fraction=options.test_fraction, extra_samples=extra,
        )  # fmt: skip
        scorer = score_inat
    else:
        result = train(
            list(data_dirs), Path(out_dir), catalog=catalog, options=options, version=version,
            extra_samples=extra,
        )  # fmt: skip
        scorer = score_held_out
    result["corrections"] = report.as_dict()
    result["held_out_set"] = held_out_fingerprint(samples)
    result["overall"] = overall(result["held_out"])
    if base_model_dir is not None:
        result["base_held_out"] = scorer(Path(base_model_dir), samples)
        result["base_overall"] = overall(result["base_held_out"])
    (Path(out_dir) / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def _species_keys() -> set[str]:
    """Every species of the taxonomy: what a reviewer may name."""
    from classifier.catalog.taxonomy import taxonomy

    return {key for key, taxon in taxonomy().taxa.items() if taxon.rank == "species"}
