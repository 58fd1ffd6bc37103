"""Reads of photos and jobs, always scoped to one owner; ``job_payload`` is the job's JSON shape."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.urls import reverse

from birdsite.confidence import confidence_text, describe, taxon_rank
from birdsite.photos.models import BirdAnswer, ClassificationJob, Photo, Prediction

Kind = BirdAnswer.Kind
UNKNOWN_TEXT = "a species the model may not know"
# A confidence stored as NaN or infinity reads as None (``models.FiniteFloatField``): such an answer
# cannot be shown, so its photo reads as failed.
DAMAGED = "The stored answer for this photo is damaged (a value that is not a number), so it cannot be shown."


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
    """Per bird of the photo, the model's answer (species, genus/family, or a species it may not know)
    of the version that last finished this job; a bird without a stored answer reads as its rank-1."""
    birds = current_birds(job)
    if not birds:
        return {}
    stored = _stored_answers(job)
    return {bird: stored.get(bird) or answer_of(rows[0]) for bird, rows in birds.items()}


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
        "learned_from": p.learned_from or None,
        "species_url": reverse("sightings:species", args=[p.label]),
    }


def _taxon_payload(label: str, common_name: str, scientific_name: str, value: float) -> dict[str, Any]:
    return {
        "label": label,
        "common_name": common_name,
        "scientific_name": scientific_name,
        "confidence": value,
        **describe(value, label),
        "species_url": reverse("sightings:species", args=[label]) if label else None,
    }


def answer_payload(answer: BirdAnswer) -> dict[str, Any]:
    """One bird's answer as pages and the API show it. For "unknown": ``common_name`` says "a species
    the model may not know", ``confidence`` is the probability that it is a known species after all,
    and ``closest`` lists the closest taxa the model knows."""
    unknown = answer.kind == Kind.UNKNOWN
    return {
        "kind": str(answer.kind),
        "kind_text": Kind(answer.kind).label,
        "rank": answer.rank or None,
        **_taxon_payload(answer.label, answer.common_name, answer.scientific_name, answer.confidence),
        "common_name": UNKNOWN_TEXT if unknown else answer.common_name,
        "scientific_name": answer.scientific_name or None,
        "label": answer.label or None,
        "known_score": answer.known_score,
        "closest": [
            _taxon_payload(c["label"], c["common_name"], c["scientific_name"], c["confidence"])
            for c in answer.closest
        ],
    }


def birds_payload(job: ClassificationJob) -> list[dict[str, Any]]:
    """Each bird found in the photo: its box (normalised x, y, w, h; None for the whole photo), its bird
    score, its answer and its predictions, best first."""
    answers = current_answers(job)
    return [
        {
            "bird": bird,
            "box": rows[0].box,
            "bird_score": rows[0].bird_score,
            "answer": answer_payload(answers[bird]),
            "predictions": [prediction_payload(p) for p in rows],
        }
        for bird, rows in current_birds(job).items()
    ]


def job_payload(job: ClassificationJob) -> dict[str, Any]:
    predictions = current_predictions(job)
    birds = birds_payload(job)
    sighting_id = getattr(getattr(job, "sighting", None), "pk", None) if job.is_finished else None
    verdict = job_verdict(job, predictions)
    return {
        "id": job.pk,
        "status": str(job.status),
        "progress": job.progress,
        "verdict": verdict,
        "error": job.error or (DAMAGED if verdict == "failed" else ""),
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
        "answer": birds[0]["answer"] if birds else None,  # the best bird's
        "birds": birds,
        "region": job.region,
        "region_url": reverse("photos:job-region", args=[job.pk]),
    }
