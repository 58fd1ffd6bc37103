"""``python -m classifier evaluate --cross-collection``: train on one collection, test on another.

Trains the recipe on the cross-collection split (classifier/datasets/crosscollection.py), keeps the held-out
logits
and embeddings in ``scores.npz`` so that post-hoc choices (classifier/research/crossreport.py) can be
compared on the
same run, and writes ``cross-collection.json`` / ``.md``.
"""

from __future__ import annotations

import json
import logging
import time
from functools import partial
from pathlib import Path

import numpy as np

from classifier.datasets import crosscollection
from classifier.datasets.crosscollection import collection, cross_collection_split, direction, plan
from classifier.datasets.samples import Sample
from classifier.evaluation import metrics
from classifier.serving import heads
from classifier.serving.calibration import fit_temperature, softmax
from classifier.training.fitting import (
    FeatureSet,
    _inputs,
    cosine_weights,
    fit_head,
    head_logits,
    load_features,
)
from classifier.training.recipe import TrainOptions

log = logging.getLogger(__name__)


def restricted(
    samples: list[Sample], *, seed: int, fold: int, train_sources: set[str] | None
) -> list[Sample]:
    """The cross-collection split; with ``train_sources``, only those datasets' photos train (e.g. the
    recipe as it was, on cub100 and gpiosenka525 alone), and a taxon left with none is not tested."""
    split = cross_collection_split(samples, seed=seed, fold=fold, own_test=True)
    if train_sources is None:
        return split
    kept = [s for s in split if s.split == "test" or s.source in train_sources]
    trained = {s.label for s in kept if s.split in ("train", "valid")}
    return [s for s in kept if s.label in trained]


def embeddings(head, data: FeatureSet, rows: np.ndarray, kind: str, view: str = "orig") -> np.ndarray:
    """The pooled features the cosine classifier reads (after the fine-tuned block for block13)."""
    import keras

    if heads.canonical(kind) != "block13":
        return data.pooled(view, rows)
    pool = next(layer for layer in head.layers if isinstance(layer, keras.layers.GlobalAveragePooling2D))
    model = keras.Model(head.input, pool.output)
    x = _inputs(data, kind, view, rows, np.float16)
    return np.concatenate(
        [model.predict_on_batch(np.asarray(x[i : i + 256], dtype=np.float32)) for i in range(0, len(x), 256)]
    )


def run(
    data_dirs: list[Path],
    out_dir: Path,
    *,
    catalog,
    options: TrainOptions,
    fold: int = 0,
    train_sources: set[str] | None = None,
    schedules: dict | None = None,
    temperature: float | None = None,
) -> dict:
    """Train on the cross-collection split and score its held-out photos; returns the report.

    ``schedules`` (from a model of this recipe): train on the training photos for exactly those, with
    ``temperature``; else early-stop on the training photos' validation split and refit as ``train`` does.
    """
    from classifier.research import crossreport

    started = time.monotonic()
    resplit = partial(restricted, seed=options.seed, fold=fold, train_sources=train_sources)
    views = {"orig", "flip"} | set(options.train_views)
    data = load_features(data_dirs, catalog, options, views, resplit=resplit)
    train_rows = np.concatenate([data.split("train"), data.split("valid")])
    if schedules is None:
        head, schedules = fit_head(data, options)
        valid = data.split("valid")
        temperature = fit_temperature(
            head_logits(head, data, valid, head_kind=options.head, tta=options.tta), data.y[valid]
        )
        if options.refit:
            head, _ = fit_head(data, options, refit=schedules)
        else:
            train_rows = data.split("train")
    else:
        if temperature is None:  # fit it on the validation photos, which then do not train
            train_rows = data.split("train")
        head, _ = fit_head(data, options, refit=schedules, rows=train_rows)
        if temperature is None:
            valid = data.split("valid")
            temperature = fit_temperature(
                head_logits(head, data, valid, head_kind=options.head, tta=options.tta), data.y[valid]
            )
    test = data.split("test")
    allowed = plan([data.samples[i] for i in range(len(data.samples))], seed=options.seed, fold=fold)
    logits = head_logits(head, data, test, head_kind=options.head, tta=options.tta)
    kernel, scale = cosine_weights(head)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out_dir / "scores.npz",
        classes=np.array(data.classes),
        logits=logits,
        y=data.y[test],
        training_photos=np.bincount(data.y[train_rows], minlength=len(data.classes)),
        direction=np.array([direction(data.samples[i], allowed) for i in test]),
        collection=np.array([collection(data.samples[i].source) for i in test]),
        test_embeddings=embeddings(head, data, test, options.head),
        test_embeddings_flip=embeddings(head, data, test, options.head, "flip"),
        train_embeddings=embeddings(head, data, train_rows, options.head),
        train_y=data.y[train_rows],
        kernel=kernel,
        scale=np.array(scale),
        temperature=np.array(temperature),
    )
    report = crossreport.analyse(np.load(out_dir / "scores.npz"))
    own = data.split("own")
    own_probs = softmax(head_logits(head, data, own, head_kind=options.head, tta=options.tta), temperature)
    report["own_split"] = {
        source: metrics.summary(own_probs[rows], data.y[own][rows])
        for source in sorted({data.samples[i].source for i in own})
        if len(rows := np.array([k for k, i in enumerate(own) if data.samples[i].source == source]))
    }
    report.update(
        fold=fold,
        train_sources=sorted(train_sources) if train_sources else "all",
        schedules=schedules,
        few_photos_max=crosscollection.FEW_PHOTOS,
        seconds=round(time.monotonic() - started, 1),
    )
    (out_dir / "cross-collection.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "cross-collection.md").write_text(crossreport.render(report))
    return report


def main(args) -> int:
    """The ``evaluate --cross-collection`` command."""
    from classifier.catalog import build_catalog

    if not args.out:
        raise SystemExit("--cross-collection needs --out DIR")
    dirs = [Path(d) for d in args.data]
    options = TrainOptions(head=args.head, head_batch_size=args.head_batch_size, refit=not args.no_refit)
    if args.views:
        options.train_views = tuple(args.views)
    if args.finetune_views:
        options.finetune_views = tuple(args.finetune_views)
    schedules = temperature = None
    if args.schedules_from:
        source = Path(args.schedules_from)
        config = json.loads((source / "config.json" if source.is_dir() else source).read_text())
        schedules = config["schedules"]
        temperature = float(config["temperature"]) if source.is_dir() else None
    report = run(
        dirs,
        Path(args.out),
        catalog=build_catalog(dirs),
        options=options,
        fold=args.fold,
        train_sources=set(args.train_sources) if args.train_sources else None,
        schedules=schedules,
        temperature=temperature,
    )
    print((Path(args.out) / "cross-collection.md").read_text())
    return 0 if report["as_trained"] else 1
