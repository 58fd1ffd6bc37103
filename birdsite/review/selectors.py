"""Reads for reviewers: the queue (least confident first), one item, and the labels retraining uses."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from birdsite.photos.models import ClassificationJob, Prediction
from birdsite.review.models import ReviewDecision
from birdsite.sightings import catalog
from birdsite.sightings.models import Sighting

log = logging.getLogger(__name__)
Verdict = ReviewDecision.Verdict


def is_new_species(species_key: str, classes: frozenset[str] | None = None) -> bool:
    """A named species (not "no bird") the served model has no class for (issue 17); with no model
    installed, nothing is called new."""
    classes = catalog.model_keys() if classes is None else classes
    return bool(species_key and classes and species_key not in classes)


@dataclass(frozen=True)
class QueueFilters:
    species: str = ""  # catalog key: the model's top-1 or the user's choice
    model_version: str = ""
    disputed: bool = False  # the user's own species differs from the model's top-1
    no_bird: bool = False  # the bird gate said "no bird"
    new_species: bool = False  # the user named a species the model has no class for

    @classmethod
    def from_query(cls, query: Any) -> QueueFilters:
        return cls(
            species=(query.get("species") or "").strip()[:64],
            model_version=(query.get("model_version") or "").strip()[:64],
            disputed=query.get("disputed") in ("1", "on", "true"),
            no_bird=query.get("no_bird") in ("1", "on", "true"),
            new_species=query.get("new_species") in ("1", "on", "true"),
        )

    def as_query(self) -> dict[str, str]:
        query = {"species": self.species, "model_version": self.model_version}
        query.update({"disputed": "1" if self.disputed else "", "no_bird": "1" if self.no_bird else ""})
        query["new_species"] = "1" if self.new_species else ""
        return {k: v for k, v in query.items() if v}


def _top1(field: str) -> Subquery:
    top = Prediction.objects.filter(
        job=OuterRef("pk"), model_version=OuterRef("model_version"), bird=0, rank=1
    )
    return Subquery(top.values(field)[:1])


def review_queue(*, reviewer: AbstractBaseUser, filters: QueueFilters | None = None) -> QuerySet:
    """Finished jobs without a human label, lowest calibrated top-1 confidence first.

    A job leaves the queue with its first accept/correct/not-a-bird/unusable decision (by anyone) and,
    for the reviewer who skipped it, with a skip.
    """
    filters = filters or QueueFilters()
    decided = ReviewDecision.objects.filter(job=OuterRef("pk")).filter(
        ~Q(verdict=Verdict.SKIPPED) | Q(reviewer_id=reviewer.pk)
    )
    qs = (
        ClassificationJob.objects.filter(status=ClassificationJob.Status.SUCCEEDED)
        .exclude(model_version="")
        .annotate(
            top1_label=_top1("label"),
            top1_name=_top1("common_name"),
            top1_confidence=_top1("confidence"),
            decided=Exists(decided),
        )
        .filter(decided=False, top1_confidence__isnull=False)
        .select_related("photo", "owner")
        .prefetch_related("sightings")
    )
    if filters.model_version:
        qs = qs.filter(model_version=filters.model_version)
    best_bird = Sighting.objects.filter(job=OuterRef("pk"), bird=0)  # the sighting the review judges
    if filters.species:
        qs = qs.filter(Q(top1_label=filters.species) | Exists(best_bird.filter(species_key=filters.species)))
    if filters.disputed:
        qs = qs.filter(Exists(best_bird.exclude(species_key="").exclude(species_key=OuterRef("top1_label"))))
    if filters.no_bird:
        qs = qs.filter(is_bird=False)
    if filters.new_species:
        classes = catalog.model_keys()
        named = best_bird.exclude(species_key="").exclude(species_key__in=sorted(classes))
        qs = qs.filter(Exists(named)) if classes else qs.none()
    return qs.order_by("top1_confidence", "pk")


def queue_item(*, reviewer: AbstractBaseUser, filters: QueueFilters, job_id: int | None = None) -> Any:
    qs = review_queue(reviewer=reviewer, filters=filters)
    return qs.filter(pk=job_id).first() if job_id else qs.first()


def job_for_review(*, job_id: int) -> ClassificationJob | None:
    jobs = ClassificationJob.objects.select_related("photo", "owner").prefetch_related("sightings")
    return jobs.filter(pk=job_id).first()


def predictions_of(job: ClassificationJob) -> list[Prediction]:
    """The answers of the photo's best bird (the one the review judges), best first."""
    return list(job.predictions.filter(model_version=job.model_version, bird=0).order_by("rank")[:5])


def model_versions_seen() -> list[str]:
    return list(
        ClassificationJob.objects.exclude(model_version="")
        .order_by("model_version")
        .values_list("model_version", flat=True)
        .distinct()
    )


def decisions_of(*, job: ClassificationJob) -> QuerySet[ReviewDecision]:
    return ReviewDecision.objects.filter(job=job).select_related("reviewer")


def recent_decisions(*, limit: int = 20) -> QuerySet[ReviewDecision]:
    return ReviewDecision.objects.select_related("reviewer", "job")[:limit]


@dataclass(frozen=True)
class TrainingLabel:
    decision_id: int
    name: str  # the photo's name in its storage (a bucket has no paths: see photos.storage.local_file)
    label: str


def training_corrections() -> list[TrainingLabel]:
    """The human label of every reviewed photo (newest non-skip decision per job, if it names a species)."""
    latest: dict[int, TrainingLabel | None] = {}
    rows = (
        ReviewDecision.objects.exclude(verdict=Verdict.SKIPPED)
        .select_related("job__photo")
        .order_by("job_id", "-created_at", "-pk")
    )
    for d in rows:
        if d.job_id in latest:
            continue
        labelled = d.verdict in ReviewDecision.LABELLED and d.label
        # An "accept" on a photo the model found no bird in named nothing (decisions stored before
        # review_decide refused them): never a training label.
        named = labelled and not (d.verdict == Verdict.ACCEPTED and d.job.is_bird is False)
        latest[d.job_id] = TrainingLabel(d.pk, d.job.photo.image.name, d.label) if named else None
    return [t for t in latest.values() if t is not None]
