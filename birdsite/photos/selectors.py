"""Reads of photos and jobs, always scoped to one owner; ``job_payload`` is the job's JSON shape."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.urls import reverse

from birdsite.confidence import confidence_text, describe
from birdsite.photos.models import ClassificationJob, Photo, Prediction


def photos_for(*, user: AbstractBaseUser) -> QuerySet[Photo]:
    return Photo.objects.filter(owner_id=user.pk)


def jobs_for(*, user: AbstractBaseUser) -> QuerySet[ClassificationJob]:
    return ClassificationJob.objects.filter(owner_id=user.pk).select_related("photo")


def current_birds(job: ClassificationJob) -> dict[int, list[Prediction]]:
    """Per bird of the photo (0 = the best one), the predictions of the model version that last finished
    this job, best first."""
    if not job.model_version:
        return {}
    prefetched = getattr(job, "_prefetched_objects_cache", {}).get("predictions")
    if prefetched is not None:  # a list page prefetched them: no query per job
        rows = [p for p in prefetched if p.model_version == job.model_version]
    else:
        rows = list(job.predictions.filter(model_version=job.model_version))
    birds: dict[int, list[Prediction]] = {}
    for row in sorted(rows, key=lambda p: (p.bird, p.rank)):
        birds.setdefault(row.bird, []).append(row)
    return birds


def current_predictions(job: ClassificationJob) -> list[Prediction]:
    """The best bird's predictions of the model version that last finished this job, best first."""
    return current_birds(job).get(0, [])


def job_wait(*, job: ClassificationJob, timeout: float, max_interval: float = 0.5) -> ClassificationJob:
    """Hold until ``job`` finishes or ``timeout`` seconds pass; returns the job as it then is.

    Polls one column of one row by primary key, every 50 ms at first, backing off to
    ``max_interval``; the whole row is read again only when its status changes.
    """
    deadline = time.monotonic() + timeout
    interval = 0.05
    while not job.is_finished:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(interval, left))
        interval = min(interval * 1.5, max_interval)
        status = ClassificationJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
        if status != job.status:
            fresh = ClassificationJob.objects.select_related("photo").filter(pk=job.pk).first()
            if fresh is None:  # deleted meanwhile
                break
            job = fresh
    return job


def job_verdict(job: ClassificationJob, predictions: list[Prediction]) -> str:
    """One word for the page: pending, running, failed, no_bird, sure or unsure."""
    if job.status in (ClassificationJob.Status.PENDING, ClassificationJob.Status.RUNNING):
        return str(job.status)
    if job.status == ClassificationJob.Status.FAILED:
        return "failed"
    if not job.is_bird or not predictions:
        return "no_bird"
    return "sure" if predictions[0].confidence >= settings.CONFIDENCE_THRESHOLD else "unsure"


def prediction_payload(p: Prediction) -> dict[str, Any]:
    return {
        "rank": p.rank,
        "label": p.label,
        "common_name": p.common_name,
        "scientific_name": p.scientific_name,
        "confidence": p.confidence,
        **describe(p.confidence, p.label),
        "wikipedia_url": p.wikipedia_url,
        "ebird_code": p.ebird_code or None,
        "species_url": reverse("sightings:species", args=[p.label]),
    }


def birds_payload(job: ClassificationJob) -> list[dict[str, Any]]:
    """Each bird found in the photo: its box (normalised x, y, w, h; None for the whole photo), its bird
    score and its predictions, best first."""
    return [
        {
            "bird": bird,
            "box": rows[0].box,
            "bird_score": rows[0].bird_score,
            "predictions": [prediction_payload(p) for p in rows],
        }
        for bird, rows in current_birds(job).items()
    ]


def job_payload(job: ClassificationJob) -> dict[str, Any]:
    predictions = current_predictions(job)
    sighting_id = getattr(getattr(job, "sighting", None), "pk", None) if job.is_finished else None
    return {
        "id": job.pk,
        "status": str(job.status),
        "progress": job.progress,
        "verdict": job_verdict(job, predictions),
        "error": job.error,
        "is_bird": job.is_bird,
        "bird_score": job.bird_score,
        "bird_score_text": confidence_text(job.bird_score),
        "model_version": job.model_version,
        "confidence_threshold": settings.CONFIDENCE_THRESHOLD,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "url": reverse("photos:job", args=[job.pk]),
        "status_url": reverse("photos:job-status", args=[job.pk]),
        "image_url": reverse("photos:image", args=[job.photo_id]),
        "thumbnail_url": reverse("photos:thumbnail", args=[job.photo_id]),
        "sighting_url": reverse("sightings:detail", args=[sighting_id]) if sighting_id else None,
        # A finished photo with no sighting (no bird found) is named on this page, if its owner saw one.
        "name_url": reverse("sightings:name", args=[job.pk])
        if job.status == ClassificationJob.Status.SUCCEEDED and not sighting_id
        else None,
        "predictions": [prediction_payload(p) for p in predictions],
        "birds": birds_payload(job),
        "region": job.region,
        "region_url": reverse("photos:job-region", args=[job.pk]),
    }
