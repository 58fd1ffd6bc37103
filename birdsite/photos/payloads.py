"""A job and its answer as JSON: built here once for the pages, the push and the API alike.

``job_answer`` is what the model answered (verdict, bird score, the best bird's predictions, each bird's
box and answer); ``job_payload`` adds the page's links. The API's ``ClassificationSerializer`` returns the
same ``job_answer``, so the page and the API can never disagree on what a photo shows.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from birdsite.confidence import confidence_text, describe
from birdsite.photos.models import BirdAnswer, ClassificationJob, Prediction
from birdsite.photos.selectors import current_answers, current_birds, job_verdict, sighting_covered_by
from classifier.result import UNKNOWN_NAME

Kind = BirdAnswer.Kind
# A confidence stored as NaN or infinity reads as None (``models.FiniteFloatField``): such an answer
# cannot be shown, so its photo reads as failed.
DAMAGED = "The stored answer for this photo is damaged (a value that is not a number), so it cannot be shown."


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
    """One bird's answer. For "unknown": ``common_name`` says "a species the model may not know",
    ``confidence`` is the probability that it is a known species after all, and ``closest`` lists the
    closest taxa the model knows."""
    unknown = answer.kind == Kind.UNKNOWN
    return {
        "kind": str(answer.kind),
        "kind_text": Kind(answer.kind).label,
        "rank": answer.rank or None,
        **_taxon_payload(answer.label, answer.common_name, answer.scientific_name, answer.confidence),
        "common_name": UNKNOWN_NAME if unknown else answer.common_name,
        "scientific_name": answer.scientific_name or None,
        "label": answer.label or None,
        "known_score": answer.known_score,
        "closest": [
            _taxon_payload(c["label"], c["common_name"], c["scientific_name"], c["confidence"])
            for c in answer.closest
        ],
    }


def sightings_by_bird(job: ClassificationJob) -> dict[int, int]:
    """The sighting id of each bird of a finished job (``prefetch_related("sightings")`` saves the query)."""
    if not job.is_finished or job.pk is None:
        return {}
    return {s.bird: s.pk for s in job.sightings.all()}


def job_answer(job: ClassificationJob) -> dict[str, Any]:
    """What the model answered for ``job``: ``verdict``, ``is_bird``, ``bird_score``, the best bird's
    ``predictions`` and ``answer``, and ``birds`` (each with its box, bird score, answer and predictions;
    the answer null for a look that is no bird, and for every look of a photo with no bird)."""
    birds = current_birds(job)
    answers = current_answers(job)
    sightings = sightings_by_bird(job)
    best = birds.get(0, [])
    return {
        "verdict": job_verdict(job, best),
        "is_bird": job.is_bird,
        "bird_score": job.bird_score,
        "predictions": [prediction_payload(p) for p in best],
        "answer": answer_payload(answers[0]) if 0 in answers else None,
        "birds": [
            {
                "bird": bird,
                "box": rows[0].box,
                "bird_score": rows[0].bird_score,
                "answer": answer_payload(answers[bird]) if bird in answers else None,
                "predictions": [prediction_payload(p) for p in rows],
                "sighting": sightings.get(bird),
            }
            for bird, rows in birds.items()
        ],
    }


def job_payload(job: ClassificationJob) -> dict[str, Any]:
    """The job as the page and its push see it: ``job_answer`` with the page's links."""
    answer = job_answer(job)
    sighting_id = getattr(getattr(job, "sighting", None), "pk", None) if job.is_finished else None
    if sighting_id is None and job.is_finished and job.region is not None:
        # A region over a bird an earlier look found: that bird's sighting, not a second one.
        covered = sighting_covered_by(job)
        sighting_id = covered.pk if covered is not None else None
    return {
        "id": job.pk,
        "status": str(job.status),
        "progress": job.progress,
        **answer,
        "error": job.error or (DAMAGED if answer["verdict"] == "failed" else ""),
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
        # Every bird's own sighting, so each gets its "Confirm or rename" (keys: the bird's index).
        "sighting_urls": {
            str(b["bird"]): reverse("sightings:detail", args=[b["sighting"]])
            for b in answer["birds"]
            if b["sighting"]
        },
        # A finished photo with no sighting (no bird found) is named on this page, if its owner saw one.
        "name_url": reverse("sightings:name", args=[job.pk])
        if job.status == ClassificationJob.Status.SUCCEEDED and not sighting_id
        else None,
        "region": job.region,
        # When the photo was taken, as the camera's clock read (the local time where the bird was seen).
        "taken": job.photo.taken_clock or None,
        "region_url": reverse("photos:job-region", args=[job.pk]),
    }
