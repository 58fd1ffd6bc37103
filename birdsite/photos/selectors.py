"""Reads of photos and jobs, always scoped to one owner (their JSON shape: ``birdsite.photos.payloads``)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from birdsite.confidence import taxon_rank
from birdsite.photos.models import BirdAnswer, ClassificationJob, Photo, Prediction

Kind = BirdAnswer.Kind


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


def _stored_answers(job: ClassificationJob) -> dict[int, BirdAnswer]:
    prefetched = getattr(job, "_prefetched_objects_cache", {}).get("answers")
    if prefetched is not None:
        rows = [a for a in prefetched if a.model_version == job.model_version]
    else:
        rows = list(job.answers.filter(model_version=job.model_version))
    return {a.bird: a for a in rows}


def answer_of(top: Prediction) -> BirdAnswer:
    """What a bird stored before open-set answers answers: its rank-1 prediction (unsaved)."""
    rank = taxon_rank(top.label)
    return BirdAnswer(
        job_id=top.job_id,
        model_version=top.model_version,
        bird=top.bird,
        kind=Kind.SPECIES if rank == "species" else Kind.HIGHER_TAXON,
        rank=rank,
        label=top.label,
        common_name=top.common_name,
        scientific_name=top.scientific_name,
        confidence=top.confidence,
    )


def current_answers(job: ClassificationJob) -> dict[int, BirdAnswer]:
    """Per bird of the photo that is a bird, the model's answer (species, genus/family, or a species it
    may not know) of the version that last finished this job.

    A photo with no bird answers nothing (its look's open-set score would read as an unknown bird, its
    rank-1 as a species). The writer stores an answer for every bird that passed its gate, so where the
    job has answers a bird without one is no bird; where it has none at all its rows predate open-set
    answers and each bird reads as its rank-1 prediction."""
    birds = current_birds(job)
    if not birds or job.is_bird is False:
        return {}
    stored = _stored_answers(job)
    if stored:
        return {bird: stored[bird] for bird in birds if bird in stored}
    return {bird: answer_of(rows[0]) for bird, rows in birds.items()}


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
    if job.status == ClassificationJob.Status.FAILED or any(p.confidence is None for p in predictions):
        return "failed"
    if not job.is_bird or not predictions:
        return "no_bird"
    return "sure" if predictions[0].confidence >= settings.CONFIDENCE_THRESHOLD else "unsure"


# A region covers a bird when the two boxes share at least this much of the smaller one.
COVERS = 0.5


def _overlap(a: list[float], b: list[float]) -> float:
    """The share of the smaller of two ``[x, y, w, h]`` boxes that lies inside the other."""
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    return (w * h) / max(min(a[2] * a[3], b[2] * b[3]), 1e-9)


def sighting_covered_by(job: ClassificationJob) -> Any | None:
    """For a job that named a region of a photo, the sighting of another look at the same photo whose bird
    that region covers most (None: a bird no earlier look found, or no region). Read through the photo's
    reverse relation: the sightings app sits above this one."""
    region = job.region
    if region is None:
        return None
    best, most = None, COVERS
    candidates = job.photo.sightings.filter(job__isnull=False).exclude(job_id=job.pk)
    for sighting in candidates.select_related("job").order_by("pk"):
        top = Prediction.objects.filter(
            job_id=sighting.job_id, bird=sighting.bird, rank=1, model_version=sighting.job.model_version
        ).first()
        box = (top.box if top is not None else None) or [0.0, 0.0, 1.0, 1.0]  # older rows: the whole photo
        if (share := _overlap(region, box)) >= most:
            best, most = sighting, share
    return best
