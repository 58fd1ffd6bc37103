"""Score the locating classifier on the wide-photo set (``classifier/evaluation/wide.py``), beside the
whole-photo
pipeline it replaced, in the same run: ``python -m classifier evaluate-wide``."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from classifier.evaluation import wide
from classifier.result import Bird, PhotoResult
from classifier.serving import images, locate, ranks
from classifier.serving.inference import Classifier

KINDS = ("cropped", *wide.SIZES, "two", "none")


def whole_photo(clf: Classifier, path: str, top_k: int) -> PhotoResult:
    """Today's pipeline before locating: the whole photo squashed to 224 px, flip TTA as the model says."""
    batch = images.to_array(images.open_image(Path(path)))[None]
    probs, scores = clf.predict_arrays(batch, tta="always" if clf.config.tta_flip else "never")
    bird = Bird(
        box=images.WHOLE,
        bird_score=float(scores[0]),
        is_bird=bool(scores[0] >= clf.config.bird_threshold),
        predictions=clf.top_k(probs[0], top_k),
        answer=ranks.answer(probs[0], clf.config.classes, clf.catalog),
    )
    return PhotoResult(clf.model_version, (bird,))


def score_case(case: wide.Case, result: PhotoResult) -> dict:
    """What one answer got right about one case."""
    birds = result.birds
    first = birds[0]
    labels = [p.label for p in first.predictions]
    row: dict = {"is_bird": result.is_bird, "answers": len(birds)}
    if case.kind == "none":
        return row
    if case.kind == "two":
        named = [_found(birds, label, box) for label, box in zip(case.labels, case.boxes, strict=True)]
        row.update(birds_named=sum(named), both=all(named))
        return row
    row.update(
        top1=labels[0] == case.labels[0],
        top5=case.labels[0] in labels,
        iou=locate.iou(first.box, tuple(case.boxes[0])),
    )
    return row


def _found(birds: tuple[Bird, ...], label: str, box: list[float]) -> bool:
    """Some answer names ``label`` (top-1) from a box centred inside the pasted photo."""
    x, y, w, h = box
    for bird in birds:
        bx, by, bw, bh = bird.box
        cx, cy = bx + bw / 2, by + bh / 2
        if bird.predictions[0].label == label and x <= cx <= x + w and y <= cy <= y + h:
            return True
    return False


def summarise(rows: dict[str, list[dict]]) -> dict:
    out: dict = {}
    for kind, found in rows.items():
        if not found:
            continue
        entry: dict = {"n": len(found), "bird_gate": _mean(found, "is_bird")}
        if kind == "none":
            entry = {"n": len(found), "called_a_bird": entry["bird_gate"]}
        elif kind == "two":
            entry["bird_recall"] = float(np.mean([r["birds_named"] / 2 for r in found]))
            entry["both_found"] = _mean(found, "both")
        else:
            entry.update(top1=_mean(found, "top1"), top5=_mean(found, "top5"), mean_iou=_mean(found, "iou"))
            entry["more_than_one_answer"] = float(np.mean([r["answers"] > 1 for r in found]))
        out[kind] = entry
    return out


def _mean(rows: list[dict], key: str) -> float:
    return float(np.mean([float(r[key]) for r in rows]))


def evaluate_wide(
    clf: Classifier, cases: list[wide.Case], *, top_k: int = 5, out: Path | None = None
) -> dict:
    """Both pipelines on every case: ``{"locate": {kind: figures}, "whole_photo": {...}, "seconds": ...}``."""
    rows: dict[str, dict[str, list[dict]]] = {"locate": defaultdict(list), "whole_photo": defaultdict(list)}
    seconds = {"locate": 0.0, "whole_photo": 0.0}
    details = []
    for case in tqdm(cases, desc="evaluate-wide"):
        started = time.perf_counter()
        [new] = clf.predict([Path(case.path)], top_k=top_k)
        seconds["locate"] += time.perf_counter() - started
        started = time.perf_counter()
        old = whole_photo(clf, case.path, top_k)
        seconds["whole_photo"] += time.perf_counter() - started
        for name, result in (("locate", new), ("whole_photo", old)):
            rows[name][case.kind].append(score_case(case, result))
        details.append({"case": case.__dict__, "birds": [_brief(b) for b in new.birds]})
    report = {
        "model_version": clf.model_version,
        "engine": clf.engine_name,
        "tta": clf.tta,
        "cases": len(cases),
        "seconds_per_photo": {k: v / max(1, len(cases)) for k, v in seconds.items()},
        "locate": summarise(rows["locate"]),
        "whole_photo": summarise(rows["whole_photo"]),
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "wide-report.json").write_text(json.dumps(report, indent=2) + "\n")
        (out / "wide-details.jsonl").write_text("".join(json.dumps(d) + "\n" for d in details))
        (out / "wide-report.md").write_text(render_markdown(report))
    return report


def _brief(bird: Bird) -> dict:
    return {
        "box": list(bird.box),
        "bird_score": bird.bird_score,
        "top": [(p.label, p.confidence) for p in bird.predictions[:2]],
    }


def render_markdown(report: dict) -> str:
    new, old = report["locate"], report["whole_photo"]
    lines = [
        f"Model {report['model_version']}, engine {report['engine']}, flip TTA {report['tta']}; "
        f"{report['cases']} cases. Each cell: locate-then-name / whole photo (before).",
        "",
        "| photo | n | top-1 | top-5 | bird gate | mean IoU | more than one answer |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in ("cropped", *wide.SIZES):
        if kind in new:
            a, b = new[kind], old[kind]
            lines.append(
                f"| {kind} | {a['n']} | {a['top1']:.3f} / {b['top1']:.3f} | "
                f"{a['top5']:.3f} / {b['top5']:.3f} | "
                f"{a['bird_gate']:.3f} / {b['bird_gate']:.3f} | {a['mean_iou']:.3f} / {b['mean_iou']:.3f} | "
                f"{a['more_than_one_answer']:.3f} |"
            )
    if "two" in new:
        a, b = new["two"], old["two"]
        lines += [
            "",
            f"Two birds per frame ({a['n']} frames): birds found and named {a['bird_recall']:.3f} / "
            f"{b['bird_recall']:.3f}; both found {a['both_found']:.3f} / {b['both_found']:.3f}.",
        ]
    if "none" in new:
        lines.append(
            f"No bird ({new['none']['n']} frames): called a bird {new['none']['called_a_bird']:.3f} / "
            f"{old['none']['called_a_bird']:.3f}."
        )
    per = report["seconds_per_photo"]
    lines.append(
        f"Seconds per photo in this run (decode included): {per['locate']:.3f} / {per['whole_photo']:.3f}."
    )
    return "\n".join(lines) + "\n"
