"""Post-hoc choices scored on one cross-collection run, and the report's tables.

Every choice here (logit adjustment, imprinting class prototypes into few-shot classes, per-group
temperatures) is fitted on half of the tested taxa and scored on the other half, then the halves swap:
no number in the report comes from parameters fitted on the photos it scores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

from classifier.datasets.crosscollection import FEW_PHOTOS, support_group
from classifier.evaluation import metrics
from classifier.serving.calibration import adjusted_logits, fit_group_temperatures, softmax

TAUS = (-0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0)
BETAS = (0.0, 0.5, 1.0, 2.0)


def imprinted_logits(scores, beta: float) -> np.ndarray:
    """Cosine logits with each class's weight moved towards the mean direction of its training embeddings
    (``normalise(w + beta · prototype)``), averaged over the photo and its mirror image. Every class moves
    alike: the embeddings share a large common direction, so moving only some classes towards it would
    hand them every photo."""
    kernel = scores["kernel"] / np.linalg.norm(scores["kernel"], axis=0, keepdims=True)
    if beta:
        emb = _unit(scores["train_embeddings"])
        protos = np.zeros_like(kernel)
        np.add.at(protos.T, scores["train_y"], emb)
        protos = protos / np.maximum(np.linalg.norm(protos, axis=0, keepdims=True), 1e-9)
        kernel = kernel + beta * protos
        kernel = kernel / np.maximum(np.linalg.norm(kernel, axis=0, keepdims=True), 1e-9)
    scale = float(scores["scale"])
    views = (scores["test_embeddings"], scores["test_embeddings_flip"])
    return np.mean([scale * _unit(v) @ kernel for v in views], axis=0)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def halves(scores) -> tuple[np.ndarray, np.ndarray]:
    """Test photos dealt into two halves by taxon (a taxon's photos stay together), seeded by its name."""
    classes = scores["classes"][scores["y"]]
    side = np.array([int(hashlib.sha256(str(c).encode()).hexdigest(), 16) % 2 for c in classes])
    return side == 0, side == 1


def balanced_top1(probs: np.ndarray, y: np.ndarray, groups: np.ndarray) -> float:
    """Mean top-1 over support groups: the few-shot photos count as much as the many."""
    return float(
        np.mean([(probs[groups == g].argmax(1) == y[groups == g]).mean() for g in np.unique(groups)])
    )


def table(probs: np.ndarray, scores) -> dict[str, dict]:
    """top-1 / top-5 / ECE per direction, per support group, and per direction and group."""
    y, groups, ways = scores["y"], _groups(scores), scores["direction"]
    keys = {"all": np.ones(len(y), bool)}
    keys |= {f"group {g}": groups == g for g in ("few", "many")}
    keys |= {w: ways == w for w in sorted(set(ways))}
    keys |= {f"{w} / {g}": (ways == w) & (groups == g) for w in sorted(set(ways)) for g in ("few", "many")}
    out = {}
    for name, rows in keys.items():
        if rows.sum():
            out[name] = {
                "n": int(rows.sum()),
                "top1": metrics.top_k_accuracy(probs[rows], y[rows], 1),
                "top5": metrics.top_k_accuracy(probs[rows], y[rows], 5),
                "ece": metrics.expected_calibration_error(probs[rows], y[rows]),
            }
    return out


def _groups(scores) -> np.ndarray:
    return np.array([support_group(int(n)) for n in scores["training_photos"][scores["y"]]])


def cross_fitted(scores, choose: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Probabilities where each half's come from ``choose(fitting rows)`` fitted on the other half."""
    first, second = halves(scores)
    probs = np.zeros(scores["logits"].shape)
    for fit_rows, score_rows in ((first, second), (second, first)):
        probs[score_rows] = choose(fit_rows)[score_rows]
    return probs


def analyse(scores) -> dict:
    """The recipe as trained, each post-hoc choice alone over its grid, and the cross-fitted combination."""
    y, photos, t = scores["y"], scores["training_photos"], float(scores["temperature"])
    groups = _groups(scores)
    base = scores["logits"]
    report: dict = {"as_trained": table(softmax(base, t), scores), "grid": {}}
    for tau in TAUS:
        probs = softmax(adjusted_logits(base, photos, tau), t)
        report["grid"][f"logit adjustment tau={tau}"] = table(probs, scores)
    imprinted = {beta: imprinted_logits(scores, beta) for beta in BETAS}
    for beta in BETAS:
        report["grid"][f"prototype imprint beta={beta}"] = table(softmax(imprinted[beta], t), scores)

    def combined(fit_rows: np.ndarray) -> np.ndarray:
        best = max(
            ((b, tau) for b in BETAS for tau in TAUS),
            key=lambda p: balanced_top1(
                adjusted_logits(imprinted[p[0]], photos, p[1])[fit_rows], y[fit_rows], groups[fit_rows]
            ),
        )
        z = adjusted_logits(imprinted[best[0]], photos, best[1])
        temps = fit_group_temperatures(z[fit_rows], y[fit_rows], photos)
        return _grouped_softmax(z, photos, temps, t)

    def temperatures_only(fit_rows: np.ndarray) -> np.ndarray:
        return _grouped_softmax(base, photos, fit_group_temperatures(base[fit_rows], y[fit_rows], photos), t)

    report["group_temperatures_cross_fitted"] = table(cross_fitted(scores, temperatures_only), scores)
    report["combined_cross_fitted"] = table(cross_fitted(scores, combined), scores)
    chosen = max(
        ((b, tau) for b in BETAS for tau in TAUS),
        key=lambda p: balanced_top1(adjusted_logits(imprinted[p[0]], photos, p[1]), y, groups),
    )
    z = adjusted_logits(imprinted[chosen[0]], photos, chosen[1])
    report["fitted_on_all"] = {
        "prototype_imprint_beta": chosen[0],
        "logit_adjustment": chosen[1],
        "group_temperatures": fit_group_temperatures(z, y, photos),
        "group_temperatures_without_adjustment": fit_group_temperatures(base, y, photos),
        "temperature": t,
    }
    return report


def _grouped_softmax(
    z: np.ndarray, photos: np.ndarray, temps: dict[str, float], default: float
) -> np.ndarray:
    few = (photos <= FEW_PHOTOS)[z.argmax(1)]
    t = np.where(few, temps.get("few", default), temps.get("many", default))[:, None]
    return softmax(z / t)


def render(report: dict) -> str:
    lines = [f"# Cross-collection evaluation (fold {report.get('fold', 0)})", ""]
    sections = [("As trained", report["as_trained"])]
    sections += [
        ("Per-group temperatures (cross-fitted)", report["group_temperatures_cross_fitted"]),
        (
            "Imprint + logit adjustment + per-group temperatures (cross-fitted)",
            report["combined_cross_fitted"],
        ),
    ]
    for title, tab in sections:
        lines += [f"## {title}", "", "| photos | n | top-1 | top-5 | ECE |", "|---|---|---|---|---|"]
        lines += [
            f"| {k} | {v['n']} | {v['top1']:.3f} | {v['top5']:.3f} | {v['ece']:.3f} |" for k, v in tab.items()
        ]
        lines.append("")
    lines += ["## Each choice alone (top-1: few / many)", "", "| choice | few | many |", "|---|---|---|"]
    for name, tab in report["grid"].items():
        few, many = tab.get("group few", {}).get("top1", float("nan")), tab.get("group many", {}).get("top1")
        lines.append(f"| {name} | {few:.3f} | {many if many is None else f'{many:.3f}'} |")
    if report.get("own_split"):
        lines += ["", "## Own split (seeded test photos of the taxa not tested across collections)", ""]
        lines += ["| dataset | n | top-1 | top-5 | ECE |", "|---|---|---|---|---|"]
        lines += [
            f"| {k} | {v['n']} | {v['top1']:.3f} | {v['top5']:.3f} | {v['ece']:.3f} |"
            for k, v in report["own_split"].items()
        ]
    lines += ["", f"Fitted on all tested taxa (what a shipped model uses): `{report['fitted_on_all']}`", ""]
    return "\n".join(lines)
