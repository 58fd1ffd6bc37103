"""``python -m classifier fetch-weights | catalog | train | evaluate | evaluate-wide | evaluate-open-set |
tune-tta | predict``
(and more: see ``--help``)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter off the terminal


def _options():  # -> classifier.serving.config.Options, imported late to keep `--help` fast
    """Serving options from the BIRDSITE_* variables; a bad value stops the command, naming the variable."""
    from classifier.serving.config import Options

    try:
        return Options.from_env(os.environ)
    except ValueError as exc:
        raise SystemExit(f"python -m classifier: {exc}") from None


def _fetch_weights(args: argparse.Namespace) -> int:
    from classifier.serving import weights

    print(weights.ensure_imagenet_weights(force=args.force))
    return 0


def _seal(args: argparse.Namespace) -> int:
    from classifier.training import sealing

    for model_dir in args.model_dirs:
        sealing.seal(Path(model_dir))
        print(f"sealed {model_dir}: selfcheck.json and SHA256SUMS written")
    return 0


def _build_int8(args: argparse.Namespace) -> int:
    from classifier.serving.config import ModelConfig
    from classifier.training import quantize

    datasets = Path(args.datasets or os.environ.get("BIRDSITE_DATASETS") or quantize.DEFAULT_DATASETS)
    for model_dir in args.model_dirs:
        path, report = quantize.ensure_int8_model(ModelConfig.read(Path(model_dir)), datasets=datasets)
        verdict = (
            "passes" if report["ok"] else "fails (auto will not serve it): " + "; ".join(report["reasons"])
        )
        print(f"{path}: int8 parity {verdict}")
    return 0


def _train_inat(args: argparse.Namespace) -> int:
    from classifier.catalog import Catalog
    from classifier.training.inat_train import train_inat

    gate_from = Path(args.gate_from)
    result = train_inat(
        [Path(d) for d in args.data],
        Path(args.out),
        catalog=Catalog.load(args.catalog or gate_from / "catalog.json"),
        version=args.version or Path(args.out).name,
        bird_gate=json.loads((gate_from / "config.json").read_text())["bird_gate"],
        seed=args.seed,
        every_photo=args.every_photo,
    )
    print(json.dumps(result, indent=2))
    return 0


def _evaluate_cross_inat(args: argparse.Namespace) -> int:
    from classifier.research import inat_cross

    report = inat_cross.evaluate(Path(args.datasets), Path(args.model))
    text = json.dumps(report, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return 0


def _catalog(args: argparse.Namespace) -> int:
    from classifier import catalog

    return catalog.main(["--data", *args.data, "--out", args.out])


def _train(args: argparse.Namespace) -> int:
    from classifier.catalog import build_catalog
    from classifier.training.train import TrainOptions, train

    dirs = [Path(d) for d in args.data]
    options = TrainOptions(
        head=args.head, seed=args.seed, tta=not args.no_tta, head_batch_size=args.head_batch_size
    )
    if args.epochs:
        options.epochs = args.epochs
    if args.views:
        options.train_views = tuple(args.views)
    if args.finetune_views:
        options.finetune_views = tuple(args.finetune_views)
    like = None
    if args.like:  # a model directory, or a JSON file with its "schedules", "temperature" and "bird_gate"
        like_path = Path(args.like) / "config.json" if Path(args.like).is_dir() else Path(args.like)
        like = json.loads(like_path.read_text())
    if args.no_refit:
        options.refit = False
    calibration = json.loads(Path(args.calibration).read_text()) if args.calibration else None
    schedules = json.loads(Path(args.schedules).read_text()) if args.schedules else None
    result = train(
        dirs,
        Path(args.out),
        catalog=build_catalog(dirs),
        options=options,
        version=args.version,
        like=like,
        calibration=calibration,
        schedules=schedules,
    )
    print(json.dumps(result, indent=2))
    return 0


def _predict(args: argparse.Namespace) -> int:
    from classifier.serving import images
    from classifier.serving.config import default_model_dir
    from classifier.serving.inference import Classifier

    clf = Classifier(Path(args.model) if args.model else default_model_dir(), _options())
    failures = 0
    for path in args.images:
        try:
            image = images.open_image(Path(path))
        except (images.InvalidImage, OSError) as exc:
            failures += 1
            result = {"path": path, "error": str(exc)}
        else:
            result = {"path": path, **clf.predict([image], top_k=args.top_k)[0].to_dict()}
        if args.json:
            print(json.dumps(result), flush=True)
        else:
            print(_human(result), flush=True)
    return 1 if failures == len(args.images) else 0


def _evaluate_open_set(args: argparse.Namespace) -> int:
    from classifier.catalog import build_catalog
    from classifier.research import leave_out
    from classifier.serving.config import default_model_dir
    from classifier.training import openset_ship

    dirs = [Path(d) for d in args.data]
    out = Path(args.out)
    if args.reuse and (out / "open-set.json").is_file():
        report = json.loads((out / "open-set.json").read_text())
    else:
        report = leave_out.run(dirs, out, catalog=build_catalog(dirs), seed=args.seed, tta=args.tta)
    print(json.dumps({k: report[k] for k in ("rule", "validation", "test", "per_collection")}, indent=2))
    if args.ship:
        model = Path(args.model) if args.model else default_model_dir()
        shipped = openset_ship.calibrate(model, report, Path(args.datasets), flip=args.ship_flip)
        print(json.dumps(shipped, indent=2))
    return 0


def _human(result: dict) -> str:
    if "error" in result:
        return f"{result['path']}: error: {result['error']}"
    if not result["is_bird"]:
        head = f"{result['path']}: no bird found (bird score {result['bird_score']:.2f})"
    else:
        head = f"{result['path']}:"
    rows = [
        f"  {p['confidence']:6.1%}  {p['common_name']} ({p['scientific_name']})  {p['wikipedia_url']}"
        for p in result["predictions"]
    ]
    return "\n".join([head, *rows])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m classifier", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("fetch-weights", help="fetch and convert the ImageNet MobileNet weights (cached)")
    p.add_argument("--force", action="store_true", help="convert again even if cached")
    p.set_defaults(func=_fetch_weights)

    p = sub.add_parser("seal", help="record a model's self-check answers and checksum its files")
    p.add_argument("model_dirs", nargs="+")
    p.set_defaults(func=_seal)

    p = sub.add_parser(
        "build-int8", help="derive a v1 model's int8 LiteRT file, calibrated and checked on its own photos"
    )
    p.add_argument("model_dirs", nargs="+")
    p.add_argument(
        "--datasets", default=None, help="labelled photos (default: $BIRDSITE_DATASETS, ../shared)"
    )
    p.set_defaults(func=_build_int8)

    p = sub.add_parser("train-inat", help="a union head on the bird-specialist iNat backbone (minutes)")
    p.add_argument("--data", nargs="+", required=True, help="folder-per-class datasets")
    p.add_argument("--out", required=True)
    p.add_argument("--version", default=None)
    p.add_argument("--seed", type=int, default=20201)
    p.add_argument("--every-photo", action="store_true", help="ship: the head learns every photo")
    p.add_argument("--catalog", default=None, help="catalog.json naming the datasets' labels")
    p.add_argument(
        "--gate-from", default=str(Path(__file__).parent / "models" / "2026.12.02-mnv1-all"),
        help="the v1 model whose ImageNet bird gate (classes, threshold) the new model keeps",
    )  # fmt: skip
    p.set_defaults(func=_train_inat)

    p = sub.add_parser("evaluate-cross-inat", help="iNat recipe: train on one collection, test on another")
    p.add_argument("--datasets", required=True, help="the folder holding cub100, gpiosenka525, vbet")
    p.add_argument("--model", required=True, help="an iNat-backbone model directory (its union fit)")
    p.add_argument("--out", default=None, help="write the JSON report here too")
    p.set_defaults(func=_evaluate_cross_inat)

    p = sub.add_parser("catalog", help="build the species catalog for folder-per-class datasets")
    p.add_argument("--data", nargs="+", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=_catalog)

    p = sub.add_parser("train", help="train a species head; writes a model directory")
    p.add_argument("--data", nargs="+", required=True, help="folder-per-class datasets")
    p.add_argument("--out", required=True, help="model directory to write")
    p.add_argument(
        "--head",
        choices=["block13", "cosine", "seed"],
        default="block13",
        help="seed = the 2020 recipe (baseline); cosine = cosine classifier on pooled features; "
        "block13 (default) = the cosine classifier with MobileNet's last block fine-tuned",
    )
    p.add_argument("--seed", type=int, default=20201, help="split and initialisation seed")
    p.add_argument("--epochs", type=int, default=0, help="maximum epochs (early stopping decides)")
    p.add_argument("--no-tta", action="store_true", help="no test-time flip")
    p.add_argument("--version", default=None, help="model version (default: the directory name)")
    p.add_argument(
        "--like",
        default=None,
        help="model directory of this recipe trained on the held-out split: train on every photo for "
        "exactly its schedules, with its temperature and bird gate",
    )
    p.add_argument("--calibration", default=None, help="calibration JSON (evaluate --cross-collection)")
    p.add_argument(
        "--schedules", default=None, help='JSON {"head": [rates], "block13": [rates]}: no early stopping'
    )
    p.add_argument("--no-refit", action="store_true", help="keep the validation photos out of training")
    p.add_argument("--views", nargs="+", default=None, help="training views (default: orig flip zoom)")
    p.add_argument("--finetune-views", nargs="+", default=None, help="views of the block13 stage")
    p.add_argument("--head-batch-size", type=int, default=64, help="batch of the first (pooled) stage")
    p.set_defaults(func=_train)

    from classifier.cli import evaluation as evaluation_commands

    evaluation_commands.add_to(sub, _options)

    p = sub.add_parser(
        "evaluate-open-set",
        help="leave 15%% of the species out of a training run, choose the open-set rule on validation and "
        "score it on the test split; --ship also sets the rule of a shipped model",
    )
    p.add_argument("--data", nargs="+", required=True, help="folder-per-class datasets that train")
    p.add_argument("--out", required=True, help="report folder (open-set.json)")
    p.add_argument("--seed", type=int, default=20201, help="split and left-out species seed")
    p.add_argument("--tta", action="store_true", help="train on orig+flip and average flipped logits")
    p.add_argument("--reuse", action="store_true", help="reuse OUT/open-set.json instead of training")
    p.add_argument("--ship", action="store_true", help="refit the rule for --model and write its config")
    p.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    p.add_argument("--ship-flip", action="store_true", help="--ship: flip TTA where unsure, as served")
    p.add_argument("--datasets", default=os.environ.get("BIRDSITE_DATASETS", "../shared/datasets/birds"))
    p.set_defaults(func=_evaluate_open_set)

    p = sub.add_parser("predict", help="identify the bird in each image")
    p.add_argument("images", nargs="+")
    p.add_argument("--model", default=None)
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--json", action="store_true", help="one JSON object per image")
    p.set_defaults(func=_predict)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
