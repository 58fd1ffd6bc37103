"""The System page's latency chart reads right (issue 24, item 10): no tick label twice, none clipped."""

from __future__ import annotations

import datetime as dt
import re

from birdsite.ops.charts import _seconds, latency_chart
from birdsite.ops.selectors import HourOfLatency
from birdsite.review.charts import W

START = dt.datetime(2026, 12, 7, 8, tzinfo=dt.UTC)


def day(median: float, p95: float) -> list[HourOfLatency]:
    return [HourOfLatency(START + dt.timedelta(hours=i), 3, median, p95) for i in range(24)]


def tick_labels(svg: str) -> list[str]:
    return re.findall(r'text-anchor="end" fill="#666">([^<]+)</text>', svg)


def test_fast_jobs_get_tick_labels_that_all_differ() -> None:
    labels = [t for t in tick_labels(latency_chart(day(0.0008, 0.0011))) if not t[0].isdigit() or "ms" in t]
    assert len(labels) == len(set(labels)), labels  # "0 ms" twice before


def test_the_last_hour_label_ends_inside_the_chart() -> None:
    svg = latency_chart(day(0.08, 0.2))
    x, anchor, text = re.findall(
        r'<text x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)" fill="#666">(\d\d:00)', svg
    )[-1]
    assert text == "07:00" and anchor == "end" and float(x) <= W  # "07:0" before: centred on the edge


def test_seconds_read_with_three_significant_digits() -> None:
    assert [_seconds(v) for v in (0.0002, 0.0004, 0.25, 1.5, 300)] == [
        "0.2 ms",
        "0.4 ms",
        "250 ms",
        "1.5 s",
        "5 min",
    ]
