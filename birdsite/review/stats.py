"""The agreement dashboard's numbers: how often reviewers agreed with the model, per version and species.

Each reviewed job counts once, by its newest non-skip decision. Agreement is measured on photos a reviewer
named (accepted or corrected); "not a bird" and "unusable" are counted beside it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from birdsite.review.models import ReviewDecision
from birdsite.sightings import catalog

Verdict = ReviewDecision.Verdict
BINS = 10


@dataclass
class Agreement:
    key: str
    name: str = ""
    labelled: int = 0
    top1: int = 0
    top5: int = 0
    not_bird: int = 0
    unusable: int = 0

    @property
    def top1_rate(self) -> float | None:
        return self.top1 / self.labelled if self.labelled else None

    @property
    def top5_rate(self) -> float | None:
        return self.top5 / self.labelled if self.labelled else None


@dataclass
class CalibrationBin:
    low: float
    high: float
    n: int = 0
    agreed: int = 0
    confidence_sum: float = 0.0

    @property
    def rate(self) -> float | None:
        return self.agreed / self.n if self.n else None

    @property
    def mean_confidence(self) -> float | None:
        return self.confidence_sum / self.n if self.n else None


@dataclass
class Dashboard:
    versions: list[Agreement] = field(default_factory=list)
    species: list[Agreement] = field(default_factory=list)
    calibration: dict[str, list[CalibrationBin]] = field(default_factory=dict)  # version -> bins
    reviewed: int = 0


def latest_decisions(*, model_version: str = "") -> list[ReviewDecision]:
    rows = ReviewDecision.objects.exclude(verdict=Verdict.SKIPPED).order_by("job_id", "-created_at", "-pk")
    if model_version:
        rows = rows.filter(model_version=model_version)
    seen: set[int] = set()
    latest = []
    for d in rows.only(
        "job_id",
        "model_version",
        "verdict",
        "label",
        "common_name",
        "top1_label",
        "top1_confidence",
        "label_rank",
    ):
        if d.job_id not in seen:
            seen.add(d.job_id)
            latest.append(d)
    return latest


def _count(entry: Agreement, d: ReviewDecision) -> None:
    if d.verdict == Verdict.NOT_BIRD:
        entry.not_bird += 1
    elif d.verdict == Verdict.UNUSABLE:
        entry.unusable += 1
    else:
        entry.labelled += 1
        entry.top1 += d.label == d.top1_label
        entry.top5 += d.label_rank is not None and d.label_rank <= 5


def dashboard(*, model_version: str = "") -> Dashboard:
    decisions = latest_decisions(model_version=model_version)
    versions: dict[str, Agreement] = {}
    species: dict[str, Agreement] = {}
    calibration: dict[str, list[CalibrationBin]] = defaultdict(
        lambda: [CalibrationBin(i / BINS, (i + 1) / BINS) for i in range(BINS)]
    )
    for d in decisions:
        _count(versions.setdefault(d.model_version, Agreement(d.model_version)), d)
        if d.verdict in ReviewDecision.LABELLED:
            _count(
                species.setdefault(d.label, Agreement(d.label, catalog.display_name(d.label, d.common_name))),
                d,
            )
            if d.top1_confidence is not None:
                b = calibration[d.model_version][min(BINS - 1, int(d.top1_confidence * BINS))]
                b.n += 1
                b.agreed += d.label == d.top1_label
                b.confidence_sum += d.top1_confidence
    return Dashboard(
        versions=sorted(versions.values(), key=lambda a: a.key),
        species=sorted(species.values(), key=lambda a: (a.top1_rate or 0.0, -a.labelled, a.name)),
        calibration=dict(calibration),
        reviewed=len(decisions),
    )
