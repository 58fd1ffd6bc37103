"""Score a model directory on held-out photos and write a report with figures."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from classifier.datasets.samples import IMAGE_SUFFIXES, Sample, catalog_resolver, load_samples
from classifier.evaluation import metrics
from classifier.serving import images
from classifier.serving.config import BATCH_SIZE, Options
from classifier.serving.inference import Classifier

log = logging.getLogger(__name__)

# scikit-image's sample photos without a bird in them: the gate must say "no bird" for these.
SKIMAGE_NON_BIRDS = (
    "astronaut",
    "camera",
    "cat",
    "chelsea",
    "coffee",
    "coins",
    "grass",
    "gravel",
    "hubble_deep_field",
    "immunohistochemistry",
    "moon",
    "motorcycle_left",
    "page",
    "retina",
    "rocket",
    "text",
    "brick",
    "colorwheel",
    "logo",
    "horse",
)


def non_bird_images(directory: Path | None) -> list[tuple[str, object]]:
    """``(name, image)`` pairs: scikit-image's photos (when installed) plus any files in ``directory``."""
    found: list[tuple[str, object]] = []
    try:
        import skimage.data
        from PIL import Image

        for name in SKIMAGE_NON_BIRDS:
            try:
                array = getattr(skimage.data, name)()
            except Exception:  # noqa: BLE001 - some sample files need optional downloads
                continue
            if array.dtype == bool:
                array = array.astype(np.uint8) * 255
            found.append((f"skimage:{name}", Image.fromarray(np.asarray(array, dtype=np.uint8))))
    except ImportError:
        log.warning("scikit-image is not installed: no built-in non-bird photos")
    if directory:
        found += [
            (str(p), p) for p in sorted(Path(directory).rglob("*")) if p.suffix.lower() in IMAGE_SUFFIXES
        ]
    return found


def _predict_paths(clf: Classifier, paths: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    chunks = [paths[i : i + BATCH_SIZE] for i in range(0, len(paths), BATCH_SIZE)]
    probs, scores = [], []
    with ThreadPoolExecutor(max_workers=1) as pool, tqdm(total=len(paths), desc="evaluate") as bar:
        for batch in pool.map(lambda chunk: images.load_batch(chunk), chunks):
            p, s = clf.predict_arrays(batch)
            probs.append(p)
            scores.append(s)
            bar.update(len(batch))
    return np.concatenate(probs), np.concatenate(scores)


def evaluate(
    model_dir: Path,
    data_dirs: Iterable[Path],
    out_dir: Path,
    *,
    split: str = "test",
    non_birds: Path | None = None,
    options: Options | None = None,
) -> dict:
    """Top-1/top-5/macro-F1/ECE per dataset, per-class figures, the bird gate's rates, and plots.

    ``split`` picks the model's own held-out split of the training datasets ("test"), or "all" for
    photos the model has never seen.
    """
    clf = Classifier(Path(model_dir), options)
    cfg = json.loads((Path(model_dir) / "config.json").read_text())["data"]
    samples: list[Sample] = load_samples(
        list(data_dirs),
        catalog_resolver(clf.catalog),
        seed=cfg["split_seed"],
        valid_fraction=cfg["valid_fraction"],
        test_fraction=cfg["test_fraction"],
    )
    if split != "all":
        samples = [s for s in samples if s.split == split]
    index = {c: i for i, c in enumerate(clf.config.classes)}
    unknown = sorted({s.label for s in samples if s.label not in index})
    samples = [s for s in samples if s.label in index]
    probs, bird_scores = _predict_paths(clf, [s.path for s in samples])
    y = np.array([index[s.label] for s in samples])

    out_dir.mkdir(parents=True, exist_ok=True)
    report: dict = {
        "model_version": clf.model_version,
        "split": split,
        "datasets": {},
        "labels_unknown_to_model": unknown,
    }
    for source in sorted({s.source for s in samples}) + ["all"]:
        rows = np.array([i for i, s in enumerate(samples) if source in ("all", s.source)])
        entry = metrics.summary(probs[rows], y[rows])
        entry["bird_gate_pass_rate"] = float((bird_scores[rows] >= clf.config.bird_threshold).mean())
        report["datasets"][source] = entry
        metrics.plot_reliability(
            probs[rows],
            y[rows],
            out_dir / f"reliability-{source}.png",
            f"{clf.model_version} on {source} ({split})",
        )
        metrics.plot_confusion(
            probs[rows],
            y[rows],
            clf.config.classes,
            out_dir / f"confusion-{source}.png",
            f"{clf.model_version} on {source}",
        )
    per_class = metrics.per_class(probs, y, clf.config.classes)
    report["per_class"] = per_class
    report["weakest_classes"] = [
        {**c, "common_name": clf.catalog[c["label"]].common_name}
        # One held-out photo says little about a species: rank those with at least three first.
        for c in sorted(per_class, key=lambda c: (c["support"] < 3, c["f1"], -c["support"]))[:15]
    ]

    others = non_bird_images(non_birds)
    if others:
        _, other_scores = clf.predict_arrays(images.load_batch([img for _, img in others]))
        passed = other_scores >= clf.config.bird_threshold
        report["non_birds"] = {
            "n": len(others),
            "bird_gate_pass_rate": float(passed.mean()),
            "wrongly_passed": [name for (name, _), p in zip(others, passed, strict=True) if p],
        }
    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "report.md").write_text(render_markdown(report))
    return report


def render_markdown(report: dict) -> str:
    lines = [
        f"# Evaluation of {report['model_version']} ({report['split']} split)",
        "",
        "| dataset | photos | top-1 | top-5 | macro-F1 | ECE | bird gate passes |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, m in report["datasets"].items():
        lines.append(
            f"| {name} | {m['n']} | {m['top1']:.3f} | {m['top5']:.3f} | {m['macro_f1']:.3f} | "
            f"{m['ece']:.3f} | {m['bird_gate_pass_rate']:.3f} |"
        )
    if "non_birds" in report:
        nb = report["non_birds"]
        lines += [
            "",
            f"Non-bird photos: {nb['n']}, wrongly called a bird: {nb['bird_gate_pass_rate']:.3f} "
            f"({', '.join(nb['wrongly_passed']) or 'none'}).",
        ]
    lines += [
        "",
        "## Weakest species",
        "",
        "| species | F1 | precision | recall | photos |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {c['common_name']} | {c['f1']:.2f} | {c['precision']:.2f} | {c['recall']:.2f} | {c['support']} |"
        for c in report["weakest_classes"]
    ]
    if report["labels_unknown_to_model"]:
        lines += ["", f"Labels the model does not know (skipped): {len(report['labels_unknown_to_model'])}"]
    return "\n".join(lines) + "\n"
