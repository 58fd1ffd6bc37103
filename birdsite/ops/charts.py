"""The System page's plot of the last 24 h of upload -> result latency, in the review charts' SVG style."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from birdsite.ops.selectors import HourOfLatency
from birdsite.review.charts import PAD, PALETTE, H, W, _svg


def _ticks(top: float) -> list[float]:
    """Round steps from 0 to at least ``top`` seconds (1, 2, 5 x 10^k), about five of them."""
    raw = max(top, 1e-3) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(0, int(math.ceil(top / step)) + 1)]


def _seconds(value: float) -> str:
    """A tick or a point in words; three significant digits, so that close ticks never read the same
    ("0.2 ms" and "0.4 ms", not "0 ms" twice)."""
    if value >= 120:
        return f"{value / 60:.3g} min"
    return f"{value:.3g} s" if value >= 1 else f"{value * 1000:.3g} ms"


def latency_chart(hours: Sequence[HourOfLatency]) -> str:
    """Median and 95th percentile per hour (lines), jobs per hour as a label on hover; gaps where none."""
    values = [v for h in hours for v in (h.median, h.p95) if v is not None]
    ticks = _ticks(max(values) if values else 1.0)
    top = ticks[-1] or 1.0
    n = max(1, len(hours) - 1)

    def x(i: int) -> float:
        return PAD + i / n * (W - PAD - 10)

    def y(seconds: float) -> float:
        return 10 + (1 - seconds / top) * (H - PAD - 10)

    body = [
        f'<rect x="{PAD}" y="10" width="{W - PAD - 10}" height="{H - PAD - 10}" fill="#fff" stroke="#ccc"/>'
    ]
    for t in ticks:
        body.append(f'<line x1="{PAD}" x2="{W - 10}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#eee"/>')
        body.append(
            f'<text x="{PAD - 6}" y="{y(t) + 4:.1f}" text-anchor="end" fill="#666">{_seconds(t)}</text>'
        )
    last = len(hours) - 1
    for i, hour in enumerate(hours):
        if i % 4 == 0 or i == last:
            if i != last and last - i < 2:
                continue  # two labels a step apart overlap: the last one says the hour
            # The last label ends at its tick: centred there, it ran past the chart's right edge ("07:0").
            anchor = "end" if i == last and i else "middle"
            body.append(
                f'<text x="{x(i):.1f}" y="{H - PAD + 16}" text-anchor="{anchor}" fill="#666">'
                f"{hour.start:%H:00}</text>"
            )
    body.append(f'<text x="{(W + PAD) / 2:.0f}" y="{H - 6}" text-anchor="middle">hour finished (UTC)</text>')
    for k, (name, pick) in enumerate((("median", lambda h: h.median), ("95th percentile", lambda h: h.p95))):
        colour = PALETTE[k]
        points = [(i, pick(h), h.count) for i, h in enumerate(hours) if pick(h) is not None]
        segments: list[list[tuple[int, float, int]]] = []
        for point in points:  # no line across hours without jobs
            if segments and point[0] == segments[-1][-1][0] + 1:
                segments[-1].append(point)
            else:
                segments.append([point])
        for segment in segments:
            path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v, _ in segment)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v, count in points:
            body.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"><title>'
                f"{hours[i].start:%H:00}: {escape(name)} {_seconds(v)} over {count} jobs</title></circle>"
            )
        body.append(f'<rect x="{PAD + 10}" y="{18 + 16 * k}" width="10" height="10" fill="{colour}"/>')
        body.append(f'<text x="{PAD + 26}" y="{27 + 16 * k}">{escape(name)}</text>')
    if not values:
        body.append(
            f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" fill="#666">No finished jobs in 24 h</text>'
        )
    return _svg(body, "Upload to result, last 24 hours")
