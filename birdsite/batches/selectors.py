"""Reads of batches, scoped to one owner: progress (the JSON the page and API show), per-file outcomes."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Max, Min, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from birdsite.batches.models import Batch, BatchItem
from birdsite.photos.models import ClassificationJob

Kind = BatchItem.Kind
JobStatus = ClassificationJob.Status
FINISHED_JOB = Q(kind=Kind.JOB, job__status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED])


def batches_for(*, user: AbstractBaseUser) -> QuerySet[Batch]:
    return Batch.objects.filter(owner_id=user.pk)


def batch_counts(batch: Batch) -> dict[str, int]:
    """Per-outcome counts. ``done`` = classified or duplicate; ``failed`` = failed or refused."""
    c = batch.items.aggregate(
        received=Count("id"),
        succeeded=Count("id", filter=Q(kind=Kind.JOB, job__status=JobStatus.SUCCEEDED)),
        job_failed=Count("id", filter=Q(kind=Kind.JOB, job__status=JobStatus.FAILED, cancelled=False)),
        cancelled=Count("id", filter=Q(cancelled=True)),
        duplicates=Count("id", filter=Q(kind=Kind.DUPLICATE)),
        refused=Count("id", filter=Q(kind=Kind.REFUSED)),
        running=Count("id", filter=Q(kind=Kind.JOB, job__status=JobStatus.RUNNING)),
        queued=Count("id", filter=Q(kind=Kind.JOB, job__status=JobStatus.PENDING)),
        removed=Count("id", filter=Q(kind=Kind.JOB, job__isnull=True)),  # photo deleted since
    )
    # A photo without a bird is one that left no sighting (as the page's table says; naming one since
    # makes it a bird): one query more, since a count over the sightings join would count birds, not files.
    c["no_bird"] = (
        batch.items.filter(kind=Kind.JOB, job__status=JobStatus.SUCCEEDED)
        .exclude(job__sightings__isnull=False)
        .count()
    )
    c["done"] = c["succeeded"] + c["duplicates"] + c["removed"]
    c["failed"] = c["job_failed"] + c["refused"]
    c["total"] = max(batch.expected, c["received"])
    return c


def _rate(batch: Batch, counts: dict[str, int]) -> tuple[float | None, float | None]:
    """Images per second of the worker over this batch's own jobs so far, and seconds left."""
    span = batch.items.filter(FINISHED_JOB).aggregate(
        first=Min("job__started_at"), last=Max("job__finished_at")
    )
    processed = counts["succeeded"] + counts["job_failed"]
    if not processed or span["first"] is None:
        return None, None
    end = span["last"] if batch.status != Batch.Status.RUNNING else timezone.now()
    seconds = max((end - span["first"]).total_seconds(), 1e-3)
    rate = processed / seconds
    left = counts["queued"] + counts["running"] + max(0, counts["total"] - counts["received"])
    return round(rate, 2), (round(left / rate, 1) if batch.status == Batch.Status.RUNNING else 0.0)


def batch_progress(batch: Batch) -> dict[str, Any]:
    counts = batch_counts(batch)
    rate, seconds_left = _rate(batch, counts)
    settled = counts["done"] + counts["failed"] + counts["cancelled"]
    percent = 100 if batch.status != Batch.Status.RUNNING else int(100 * settled / max(counts["total"], 1))
    return {
        "id": batch.pk,
        "name": batch.name,
        "source": str(batch.source),
        "status": str(batch.status),
        "finished": batch.status != Batch.Status.RUNNING,
        **{key: counts[key] for key in ("total", "received", "done", "failed", "succeeded", "duplicates")},
        **{key: counts[key] for key in ("refused", "cancelled", "queued", "running", "no_bird", "removed")},
        "percent": min(percent, 100),
        "images_per_second": rate,
        "seconds_left": seconds_left,
        "created_at": batch.created_at.isoformat(),
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        "url": reverse("batches:detail", args=[batch.pk]),
        "status_url": reverse("batches:status", args=[batch.pk]),
        "items_url": reverse("batches:items", args=[batch.pk]),
        "files_url": reverse("batches:files", args=[batch.pk]),
        "cancel_url": reverse("batches:cancel", args=[batch.pk]),
    }


def item_outcome(item: BatchItem) -> str:
    """queued, running, succeeded, failed, cancelled, duplicate, refused or removed."""
    if item.kind == Kind.REFUSED:
        return "refused"
    if item.kind == Kind.DUPLICATE:
        return "duplicate"
    if item.job is None:
        return "removed"
    if item.cancelled:
        return "cancelled"
    return {JobStatus.PENDING: "queued"}.get(item.job.status, str(item.job.status))


def batch_items(batch: Batch) -> list[dict[str, Any]]:
    """Every file of the batch, in upload order, with its outcome and where its result is."""
    items = batch.items.select_related("job").prefetch_related("job__sightings").order_by("position")
    rows = []
    for item in items:
        job = item.job
        sighting = getattr(job, "sighting", None) if job is not None else None
        rows.append(
            {
                "position": item.position,
                "name": item.name,
                "outcome": item_outcome(item),
                "code": item.code,
                "reason": item.reason or (job.error if job is not None and item.kind == Kind.JOB else ""),
                "job_id": job.pk if job else None,
                "job_url": reverse("photos:job", args=[job.pk]) if job else None,
                "duplicate_of": job.pk if job and item.kind == Kind.DUPLICATE else None,
                "species": sighting.common_name if sighting is not None else "",
                "sighting_url": reverse("sightings:detail", args=[sighting.pk])
                if sighting is not None
                else None,
            }
        )
    return rows
