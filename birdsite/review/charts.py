"""Server-rendered inline SVG charts for the dashboard: no JavaScript, no CDN, readable without colour."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from birdsite.review.stats import Agreement, CalibrationBin

PALETTE = ("#2f6f4f", "#a15c07", "#3b5b9a", "#8a3b7a", "#5f6b2a", "#a3282a")
W, H, PAD = 560, 300, 44


def _svg(body: list[str], label: str, width: int = W, height: int = H) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" class="chart" font-family="system-ui, sans-serif" font-size="15">'
    )
    return "".join([head, f"<title>{escape(label)}</title>", *body, "</svg>"])


def _axes(x_label: str, y_label: str) -> list[str]:
    parts = [
        f'<rect x="{PAD}" y="10" width="{W - PAD - 10}" height="{H - PAD - 10}" fill="#fff" stroke="#ccc"/>'
    ]
    for i in range(0, 11, 2):
        y = _y(i / 10)
        parts.append(f'<line x1="{PAD}" x2="{W - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{PAD - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#666">{i * 10}%</text>')
    parts.append(f'<text x="{(W + PAD) / 2:.0f}" y="{H - 6}" text-anchor="middle">{escape(x_label)}</text>')
    parts.append(
        f'<text x="12" y="{(H - PAD) / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {(H - PAD) / 2:.0f})">{escape(y_label)}</text>'
    )
    return parts


def _x(value: float) -> float:
    return PAD + value * (W - PAD - 10)


def _y(value: float) -> float:
    return 10 + (1 - value) * (H - PAD - 10)


def calibration_chart(curves: dict[str, Sequence[CalibrationBin]]) -> str:
    """Reviewer agreement against the model's top-1 confidence, one line per model version; the diagonal
    is perfect calibration. Point area grows with the number of reviews in the bin."""
    body = _axes("model's top-1 confidence", "reviewers agreed")
    body.append(
        f'<line x1="{_x(0):.1f}" y1="{_y(0):.1f}" x2="{_x(1):.1f}" y2="{_y(1):.1f}" '
        'stroke="#999" stroke-dasharray="4 4"/>'
    )
    for i in range(0, 11, 2):
        body.append(
            f'<text x="{_x(i / 10):.1f}" y="{H - PAD + 16}" text-anchor="middle" fill="#666">'
            f"{i / 10:.1f}</text>"
        )
    for n, (version, bins) in enumerate(sorted(curves.items())):
        colour = PALETTE[n % len(PALETTE)]
        points = [(b.mean_confidence, b.rate, b.n) for b in bins if b.n]
        if not points:
            continue
        path = " ".join(f"{_x(c):.1f},{_y(r):.1f}" for c, r, _ in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for c, r, count in points:
            radius = min(9.0, 3 + count**0.5)
            body.append(
                f'<circle cx="{_x(c):.1f}" cy="{_y(r):.1f}" r="{radius:.1f}" fill="{colour}">'
                f"<title>{escape(version)}: {count} reviews, {r:.0%} agreed at ~{c:.2f}</title></circle>"
            )
        body.append(f'<rect x="{PAD + 10}" y="{18 + 16 * n}" width="10" height="10" fill="{colour}"/>')
        body.append(f'<text x="{PAD + 26}" y="{27 + 16 * n}">{escape(version)}</text>')
    return _svg(body, "Calibration: confidence against reviewer agreement")


def agreement_bars(rows: Sequence[Agreement], title: str) -> str:
    """Top-1 agreement and top-5 hit rate side by side for each row (model version or species)."""
    rows = [r for r in rows if r.labelled][:12]
    height = 40 + 34 * max(1, len(rows))
    left, width = 170, W - 170 - 60
    body = [
        f'<rect x="{left}" y="8" width="10" height="10" fill="{PALETTE[0]}"/>'
        f'<text x="{left + 14}" y="17">top-1 agreed</text>',
        f'<rect x="{left + 110}" y="8" width="10" height="10" fill="{PALETTE[1]}"/>'
        f'<text x="{left + 124}" y="17">top-5 hit</text>',
    ]
    for i, row in enumerate(rows):
        y = 30 + 34 * i
        name = row.name or row.key
        body.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(name[:26])}</text>')
        for k, (rate, colour) in enumerate(((row.top1_rate, PALETTE[0]), (row.top5_rate, PALETTE[1]))):
            bar = (rate or 0.0) * width
            body.append(
                f'<rect x="{left}" y="{y + 14 * k}" width="{bar:.1f}" height="12" fill="{colour}">'
                f"<title>{escape(name)}: {(rate or 0):.0%} of {row.labelled}</title></rect>"
            )
            body.append(
                f'<text x="{left + bar + 4:.1f}" y="{y + 14 * k + 10}" fill="#444">{(rate or 0):.0%}</text>'
            )
    if not rows:
        body.append(
            f'<text x="{W / 2}" y="{height / 2 + 10}" text-anchor="middle" fill="#666">No reviews yet</text>'
        )
    return _svg(body, title, W, height)
