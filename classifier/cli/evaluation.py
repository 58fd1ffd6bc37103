"""The evaluation commands of ``python -m classifier``: ``evaluate``, ``evaluate-wide``,
``evaluate-extra-birds`` and ``tune-tta`` (each imports what it needs when it runs: ``--help`` stays fast)."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _evaluate(args: argparse.Namespace) -> int:
    if args.cross_collection:
        from classifier.research.crossval import main as cross_main

        return cross_main(args)
    from classifier.evaluation.evaluate import evaluate
    from classifier.serving.config import default_model_dir

    model = Path(args.model) if args.model else default_model_dir()
    out = Path(args.out) if args.out else model / "evaluation"
    report = evaluate(
        model,
        [Path(d) for d in args.data],
        out,
        split=args.split,
        non_birds=Path(args.non_birds) if args.non_birds else None,
        options=args.options(),
    )
    print((out / "report.md").read_text())
    print(f"report written to {out}")
    return 0 if report["datasets"] else 1


def _evaluate_wide(args: argparse.Namespace) -> int:
    from classifier.evaluation import wide, wide_eval
    from classifier.serving.config import default_model_dir
    from classifier.serving.inference import Classifier

    model = Path(args.model) if args.model else default_model_dir()
    clf = Classifier(model, args.options())
    cases = wide.build(
        Path(args.cases_from) if args.cases_from else model,
        Path(args.datasets),
        per_size=args.per_size,
        two_birds=args.two_birds,
        no_birds=args.no_birds,
        seed=args.seed,
        split=args.split,
    )
    out = Path(args.out) if args.out else model / "evaluation"
    report = wide_eval.evaluate_wide(clf, cases, out=out)
    print(wide_eval.render_markdown(report))
    print(f"report written to {out}")
    return 0


def _evaluate_extra_birds(args: argparse.Namespace) -> int:
    from classifier.evaluation import birds_per_photo
    from classifier.serving.config import default_model_dir
    from classifier.serving.inference import Classifier

    model = Path(args.model) if args.model else default_model_dir()
    clf = Classifier(model, args.options())
    photos = birds_per_photo.held_out(model, Path(args.datasets), args.split)
    print(json.dumps(birds_per_photo.count(clf.predict, photos), indent=2))
    return 0


def _tune_tta(args: argparse.Namespace) -> int:
    from classifier.evaluation import tta
    from classifier.serving.config import default_model_dir
    from classifier.serving.inference import Classifier

    clf = Classifier(Path(args.model) if args.model else default_model_dir(), args.options())
    print(json.dumps(tta.measure(clf, Path(args.datasets), args.split), indent=2))
    return 0


def add_to(sub: Any, serving_options: Callable[[], Any]) -> None:
    """Add the evaluation commands to ``python -m classifier``'s subcommands."""
    p = sub.add_parser("evaluate", help="score a model on held-out photos and write a report")
    p.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    p.add_argument("--data", nargs="+", required=True)
    p.add_argument(
        "--split",
        default="test",
        choices=["test", "valid", "train", "all"],
        help="'test' = the model's held-out split; 'all' = every photo (unseen sets)",
    )
    p.add_argument("--non-birds", default=None, help="folder of photos without birds for the gate")
    p.add_argument("--out", default=None, help="report folder (default: MODEL/evaluation)")
    p.add_argument(
        "--cross-collection",
        action="store_true",
        help="train the recipe (--head) with each tested taxon's test collection kept out of its training, "
        "and score it there (--out is required)",
    )
    p.add_argument("--head", choices=["block13", "cosine", "seed"], default="block13")
    p.add_argument("--fold", type=int, default=0, help="cross-collection: 1 swaps the two directions")
    p.add_argument("--train-sources", nargs="+", default=None, help="cross-collection: datasets that train")
    p.add_argument("--views", nargs="+", default=None, help="cross-collection: training views")
    p.add_argument("--finetune-views", nargs="+", default=None, help="cross-collection: block13 views")
    p.add_argument("--head-batch-size", type=int, default=64, help="cross-collection: first-stage batch")
    p.add_argument("--no-refit", action="store_true", help="cross-collection: keep the early-stopped head")
    p.add_argument(
        "--schedules-from",
        default=None,
        help="cross-collection: a model of this recipe whose schedules and temperature to reuse",
    )
    p.set_defaults(func=_evaluate, options=serving_options)

    p = sub.add_parser("evaluate-wide", help="locate-then-name vs whole photo on generated wide frames")
    p.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    p.add_argument("--datasets", default=os.environ.get("BIRDSITE_DATASETS", "../shared/datasets/birds"))
    p.add_argument("--split", default="test", choices=["test", "valid"])
    p.add_argument("--per-size", type=int, default=150, help="held-out photos (each at every size)")
    p.add_argument("--two-birds", type=int, default=100, help="frames with two different birds")
    p.add_argument("--no-birds", type=int, default=200, help="frames without a bird")
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--out", default=None, help="report folder (default: MODEL/evaluation)")
    p.add_argument(
        "--cases-from", default=None,
        help="build the frames from this model's held-out photos (to score two models on the same frames)",
    )  # fmt: skip
    p.set_defaults(func=_evaluate_wide, options=serving_options)

    p = sub.add_parser(
        "evaluate-extra-birds", help="held-out one-bird photos answered with more than one bird"
    )
    p.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    p.add_argument("--datasets", default=os.environ.get("BIRDSITE_DATASETS", "../shared/datasets/birds"))
    p.add_argument("--split", default="test", choices=["test", "valid"])
    p.set_defaults(func=_evaluate_extra_birds, options=serving_options)

    p = sub.add_parser("tune-tta", help="top-1 of flipping only unsure photos, per threshold")
    p.add_argument("--model", default=None)
    p.add_argument("--datasets", default=os.environ.get("BIRDSITE_DATASETS", "../shared/datasets/birds"))
    p.add_argument("--split", default="valid", choices=["test", "valid"])
    p.set_defaults(func=_tune_tta, options=serving_options)
