"""Writes for reviewers: one decision per call, added beside the predictions (which are never changed)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from birdsite.errors import Refused
from birdsite.photos.models import ClassificationJob
from birdsite.review.models import ReviewDecision
from birdsite.sightings import catalog
from birdsite.sightings.reviews import sightings_reviewed

Verdict = ReviewDecision.Verdict


class ReviewRejected(Refused):
    """The decision cannot be stored; the message says why, for people."""

    default_code = "review_refused"


@transaction.atomic
def review_decide(
    *, job: ClassificationJob, reviewer: AbstractBaseUser, verdict: str, label: str = ""
) -> ReviewDecision:
    """Store ``reviewer``'s verdict on the predictions ``job`` shows now, with the model's top-1 beside it.

    ``accepted`` labels the photo with the top-1; ``corrected`` with ``label`` (a catalog key, or any of
    the job's own top-5); ``not_bird``, ``unusable`` and ``skipped`` carry no label.
    """
    if verdict not in Verdict.values:
        raise ReviewRejected("review_refused", f"Unknown verdict {verdict!r}.")
    if job.status != ClassificationJob.Status.SUCCEEDED or not job.model_version:
        raise ReviewRejected("review_refused", "Only finished classifications can be reviewed.")
    predictions = list(job.predictions.filter(model_version=job.model_version, bird=0).order_by("rank"))
    if not predictions:
        raise ReviewRejected("review_refused", "This classification has no predictions to review.")
    top1 = predictions[0]
    if verdict == Verdict.ACCEPTED and job.is_bird is False:
        # The model named no bird: its top-1 is only the least unlikely class, never an answer to agree
        # with. Accepting it would put an unnamed label into the next model's training photos.
        raise ReviewRejected(
            "no_bird_to_accept",
            "The model found no bird in this photo: mark it 'Not a bird', or name the species it shows.",
        )
    if verdict == Verdict.ACCEPTED:
        label = top1.label
    elif verdict == Verdict.CORRECTED:
        label = label.strip()
        if not label:
            raise ReviewRejected("review_refused", "Choose the species the photo shows.")
    else:
        label = ""
    by_label = {p.label: p for p in predictions}
    common_name = scientific_name = ""
    if label:
        species = catalog.species_get(label)
        if species is not None:
            common_name, scientific_name = species.common_name, species.scientific_name
        elif label in by_label:
            common_name, scientific_name = by_label[label].common_name, by_label[label].scientific_name
        else:
            raise ReviewRejected("review_refused", f"{label!r} is not a species of the catalog.")
    if verdict == Verdict.CORRECTED and label == top1.label and job.is_bird is not False:
        verdict = Verdict.ACCEPTED  # "corrected" to the model's own answer is agreement (if it saw a bird)
    decision = ReviewDecision.objects.create(
        job=job,
        model_version=job.model_version,
        verdict=verdict,
        label=label,
        common_name=common_name,
        scientific_name=scientific_name,
        top1_label=top1.label,
        top1_confidence=top1.confidence,
        label_rank=by_label[label].rank if label in by_label else None,
        reviewer_id=reviewer.pk,
    )
    if verdict != Verdict.SKIPPED:
        # The owner sees it on their sighting as a suggestion to accept or keep, never a rename.
        sightings_reviewed(
            job_id=job.pk, label=label, common_name=common_name, scientific_name=scientific_name
        )
    return decision
