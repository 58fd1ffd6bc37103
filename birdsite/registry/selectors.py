"""Reads of the model registry: the active version, the list, and whether a candidate may be promoted."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from birdsite.registry.models import ModelEvent, ModelVersion
from birdsite.review.models import ReviewDecision
from birdsite.sightings import catalog as sightings_catalog
from birdsite.sightings.models import Sighting

Status = ModelVersion.Status


def active_version() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=Status.ACTIVE).first()


def versions_list() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related("parent", "created_by", "promoted_by")


def events_list(*, limit: int = 30) -> QuerySet[ModelEvent]:
    return ModelEvent.objects.select_related("version", "previous", "user")[:limit]


def rollback_target() -> ModelVersion | None:
    """The version that was active before the current one was promoted (what "roll back" restores)."""
    current = active_version()
    if current is None:
        return None
    event = (
        ModelEvent.objects.filter(
            version=current,
            action__in=[ModelEvent.Action.PROMOTED, ModelEvent.Action.FORCED, ModelEvent.Action.ROLLED_BACK],
            previous__isnull=False,
        )
        .select_related("previous")
        .first()
    )
    if event is None or event.previous is None or event.previous.status == Status.FAILED:
        return None
    return event.previous


def overall(held_out: dict[str, Any] | None) -> dict[str, float] | None:
    """Photo-weighted top-1/top-5 over a metrics ``held_out`` mapping (dataset -> summary)."""
    if not held_out:
        return None
    n = sum(int(m.get("n", 0)) for m in held_out.values())
    if not n:
        return None
    return {
        "n": n,
        "top1": sum(m["top1"] * m["n"] for m in held_out.values()) / n,
        "top5": sum(m["top5"] * m["n"] for m in held_out.values()) / n,
    }


@dataclass(frozen=True)
class PromotionCheck:
    allowed: bool  # without force
    reason: str
    candidate: dict[str, float] | None = None
    reference: dict[str, float] | None = None


def promotion_check(candidate: ModelVersion, active: ModelVersion | None) -> PromotionCheck:
    """May ``candidate`` replace ``active`` without force: its held-out numbers must not be worse.

    Compared on the same held-out photos only: the base model's scores measured in the candidate's own
    retraining run when the base is still active, else the active model's numbers on a set with the same
    fingerprint. Anything else is not comparable and needs a forced promotion with a reason.
    """
    if candidate.status not in (Status.CANDIDATE, Status.RETIRED):
        return PromotionCheck(False, f"{candidate.version} is {candidate.status}, not a candidate.")
    if active is None:
        return PromotionCheck(True, "No model is active yet.")
    mine = overall(candidate.metrics.get("held_out"))
    if active.pk == candidate.parent_id and candidate.metrics.get("base_held_out"):
        reference = overall(candidate.metrics["base_held_out"])
    elif candidate.metrics.get("held_out_set") and candidate.metrics.get(
        "held_out_set"
    ) == active.metrics.get("held_out_set"):
        reference = overall(active.metrics.get("held_out"))
    else:
        reference = None
    if mine is None or reference is None:
        return PromotionCheck(
            False, f"Held-out numbers of {candidate.version} and {active.version} are not comparable.", mine
        )
    worse = [k for k in ("top1", "top5") if _lt(mine[k], reference[k])]
    if worse:
        text = ", ".join(f"{k} {mine[k]:.3f} < {reference[k]:.3f}" for k in worse)
        return PromotionCheck(
            False, f"Worse than {active.version} on the held-out set: {text}.", mine, reference
        )
    return PromotionCheck(True, f"Not worse than {active.version} on the same held-out set.", mine, reference)


def _lt(a: float, b: float) -> bool:
    return math.isnan(a) or a < b - 1e-9


@dataclass(frozen=True)
class LastRetraining:
    version: str
    status: str
    seconds: float
    finished_at: Any

    @property
    def took(self) -> str:
        """ "42 s", "14 min 3 s", "2 h 5 min": what the confirmation says."""
        total = round(self.seconds)
        hours, rest = divmod(total, 3600)
        minutes, seconds = divmod(rest, 60)
        if hours:
            return f"{hours} h {minutes} min"
        return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def last_retraining() -> LastRetraining | None:
    """The most recent retraining that ran to an end (trained or failed): how long it took, for people
    deciding whether to start another one."""
    row = (
        ModelVersion.objects.filter(started_at__isnull=False, finished_at__isnull=False)
        .exclude(status__in=[Status.QUEUED, Status.TRAINING])
        .order_by("-finished_at", "-id")
        .values_list("version", "status", "started_at", "finished_at")
        .first()
    )
    if row is None:
        return None
    version, status, started_at, finished_at = row
    return LastRetraining(version, status, max(0.0, (finished_at - started_at).total_seconds()), finished_at)


def retraining_in_progress() -> ModelVersion | None:
    return ModelVersion.objects.filter(status__in=[Status.QUEUED, Status.TRAINING]).first()


@dataclass
class NewSpecies:
    """A species the served model has no class for, and the photos of it collected so far."""

    species_key: str
    common_name: str
    scientific_name: str
    photos: int = 0  # photos people named it on (a sighting) or a reviewer labelled it
    reviewed: int = 0  # of those, photos whose latest review labels it (retraining adds no classes yet)


def new_species_counts() -> list[NewSpecies]:
    """Per species outside the served model's classes, how many photos it has collected (issue 17:
    what the next retrain could learn), most photos first. Where a reviewer judged a photo's best bird,
    the newest decision says what it is, not the owner. Two queries."""
    classes = sightings_catalog.model_keys()
    if not classes:
        return []
    photos: dict[str, set[int]] = {}
    reviewed: dict[str, set[int]] = {}
    names: dict[str, tuple[str, str]] = {}
    decided: set[int] = set()
    decisions = (
        ReviewDecision.objects.exclude(verdict=ReviewDecision.Verdict.SKIPPED)
        .order_by("job_id", "-created_at", "-pk")
        .values_list("job_id", "verdict", "label", "common_name", "scientific_name", "job__photo_id")
    )
    for job, verdict, label, common, sci, photo in decisions:
        if job in decided:
            continue  # only a job's newest decision labels it
        decided.add(job)
        if verdict in ReviewDecision.LABELLED and label and label not in classes:
            photos.setdefault(label, set()).add(photo)
            reviewed.setdefault(label, set()).add(photo)
            names.setdefault(label, (common, sci))
    named = (
        Sighting.objects.exclude(species_key="")
        .exclude(species_key__in=sorted(classes))
        .values_list("species_key", "common_name", "scientific_name", "photo_id", "job_id", "bird")
    )
    for key, common, sci, photo, job, bird in named:
        if bird == 0 and job in decided:
            continue  # the reviewer's decision above says what this bird is
        photos.setdefault(key, set()).add(photo)
        names.setdefault(key, (common, sci))
    rows = [
        NewSpecies(key, *names[key], photos=len(ids), reviewed=len(reviewed.get(key, ())))
        for key, ids in photos.items()
    ]
    return sorted(rows, key=lambda r: (-r.photos, r.common_name.lower()))
