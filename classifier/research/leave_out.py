"""``python -m classifier evaluate-open-set``: leave species out of training, and see if they are noticed.

A seeded 15 % of the taxa are removed from training entirely; half of them (by taxon) join the validation
photos as "unknown", the other half the test photos, so the threshold is chosen on unknown species that the
test never shows. The head is trained on the rest (train split, early-stopped on validation, no refit), the
temperature and the open-set threshold are chosen on validation, and the test split reports: the AUROC of
known against unknown, the share of unknown-species photos still answered as a confident species (≥
``ranks.SPECIES_MIN``), and the known-species top-1 lost to false "unknown" answers.

The rule's measures and how it is chosen are in ``classifier/evaluation/openset.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from classifier.datasets.samples import Sample
from classifier.evaluation.openset import (
    KNOWN_LOSS_BUDGET,
    UNKNOWN_TEST,
    UNKNOWN_VALID,
    Scored,
    auroc,
    choose,
    leave_out,
    outcomes,
    split_scores,
    tradeoff,
)
from classifier.serving.calibration import FEW_PHOTOS, fit_temperature, softmax


@dataclass
class LeftOutRun:
    """A head trained with some taxa left out: ``scored(*splits)`` gives those photos' logits and
    calibrated probabilities, label -1 for a left-out taxon."""

    classes: list[str]
    samples: list[Sample]
    schedules: dict
    temperature: float
    scored: Callable[..., Scored]


def train_left_out(
    data_dirs: list[Path],
    catalog,
    *,
    resplit: Callable,
    seed: int = 20201,
    tta: bool = False,
    epochs: int = 200,
) -> LeftOutRun:
    """The cosine recipe (class-balanced, label smoothing, early-stopped on the known validation photos,
    no refit) on ``resplit``'s samples, where left-out taxa have a split starting with "unknown"."""
    from classifier.training.fitting import FeatureSet, cosine_weights, fit_head, head_logits, load_features
    from classifier.training.recipe import TrainOptions

    views = ("orig", "flip") if tta else ("orig",)
    options = TrainOptions(head="cosine", seed=seed, train_views=views, tta=tta, refit=False, epochs=epochs)
    full = load_features(data_dirs, catalog, options, set(views), resplit=resplit)
    known_classes = sorted({s.label for s in full.samples if not s.split.startswith("unknown")})
    index = {c: i for i, c in enumerate(known_classes)}
    y = np.array([index.get(s.label, -1) for s in full.samples])
    data = FeatureSet(full.samples, known_classes, np.maximum(y, 0), full.maps)
    head, schedules = fit_head(data, options)
    _, scale = cosine_weights(head)
    photos = np.bincount(y[data.split("train")], minlength=len(known_classes)).astype(float)
    valid_rows = data.split("valid")
    temperature = fit_temperature(
        head_logits(head, data, valid_rows, head_kind="cosine", tta=tta), y[valid_rows]
    )

    def scored(*splits: str) -> Scored:
        rows = np.concatenate([data.split(s) for s in splits]).astype(int)
        logits = head_logits(head, data, rows, head_kind="cosine", tta=tta)
        return Scored(logits, softmax(logits, temperature), y[rows], photos, scale)

    return LeftOutRun(known_classes, data.samples, schedules, temperature, scored)


def run(data_dirs: list[Path], out_dir: Path, *, catalog, seed: int = 20201, tta: bool = False) -> dict:
    """Train the cosine recipe with species left out, choose the rule on validation, score the test."""
    started = time.monotonic()
    views = ("orig", "flip") if tta else ("orig",)
    trained = train_left_out(
        data_dirs, catalog, resplit=lambda s: leave_out(s, seed=seed), seed=seed, tta=tta
    )
    known_classes, schedules, temperature = trained.classes, trained.schedules, trained.temperature
    valid, test = trained.scored("valid", UNKNOWN_VALID), trained.scored("test", UNKNOWN_TEST)
    rule, candidates = choose(valid, FEW_PHOTOS)
    known_valid = rule.score_of(valid.logits, valid.probs)[valid.y >= 0]
    rule = replace(rule, notes={"known_score_std": float(known_valid.std()), "budget": KNOWN_LOSS_BUDGET})
    records = catalog.subset(known_classes)
    report = {
        "recipe": f"cosine head on pooled block-13 features, views {list(views)}, flip TTA {tta}, no refit",
        "seed": seed,
        "datasets": [d.name for d in data_dirs],
        "taxa": {
            "known": len(known_classes),
            "left_out": len({s.label for s in trained.samples}) - len(known_classes),
        },
        "schedules": {k: len(v) for k, v in schedules.items()},
        "temperature": temperature,
        "candidates_on_validation": candidates,
        "rule": rule.as_config(),
        "validation": outcomes(valid, rule, known_classes, records),
        "test": {
            **outcomes(test, rule, known_classes, records),
            "auroc": round(auroc(*split_scores(test, rule)), 4),
        },
        "test_without_rule": outcomes(test, None, known_classes, records),
        "tradeoff": {"validation": tradeoff(valid, rule), "test": tradeoff(test, rule)}
        if rule.score == "max_probability"
        else {},
        "per_collection": {},
        "seconds": 0.0,
    }
    order = [s for s in trained.samples if s.split == "test"] + [
        s for s in trained.samples if s.split == UNKNOWN_TEST
    ]  # the rows of ``test``, in the order ``scored`` gives them
    sources = np.array([s.source for s in order])
    for source in sorted(set(sources)):
        part = test.rows(sources == source)
        report["per_collection"][source] = {
            **outcomes(part, rule, known_classes, records),
            "auroc": round(auroc(*split_scores(part, rule)), 4),
        }
    report["seconds"] = round(time.monotonic() - started, 1)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "open-set.json").write_text(json.dumps(report, indent=2) + "\n")
    np.savez_compressed(
        out_dir / "open-set-scores.npz",
        valid_logits=valid.logits,
        valid_y=valid.y,
        test_logits=test.logits,
        test_y=test.y,
        training_photos=test.training_photos,
        scale=np.array(test.scale),
        temperature=np.array(temperature),
    )
    return report
