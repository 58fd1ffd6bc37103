"""Retention: originals older than N days, or outside the best N photos of a species, give way to their
thumbnail. The photo row, its thumbnail, jobs, predictions and sightings all stay.

"Giving way" points ``Photo.image`` at the thumbnail file and deletes the original, so every page and the
image view keep working (they show the thumbnail) and ``size_bytes`` (the quota) counts what is stored.
A photo whose job is not finished, or that a reviewer labelled (training data), keeps its original.
Best is per user and species: confirmed first, then the model's confidence in that species, then newest.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from birdsite.ops.models import RetentionRun
from birdsite.ops.selectors import originals_kept
from birdsite.photos.models import ClassificationJob, Photo
from birdsite.review.models import ReviewDecision
from birdsite.sightings.models import Sighting

log = logging.getLogger(__name__)
UNFINISHED = (ClassificationJob.Status.PENDING, ClassificationJob.Status.RUNNING)


@dataclass(frozen=True)
class Policy:
    days: int = 0  # originals older than this go (0: age does not matter)
    best_per_species: int = 0  # only the best N per user and species keep theirs (0: no limit)

    @property
    def active(self) -> bool:
        return bool(self.days or self.best_per_species)

    def as_dict(self) -> dict[str, int]:
        return {"days": self.days, "best_per_species": self.best_per_species}


def policy_from_settings() -> Policy:
    return Policy(
        days=settings.RETENTION_ORIGINALS_DAYS, best_per_species=settings.RETENTION_BEST_PER_SPECIES
    )


@dataclass(frozen=True)
class Candidate:
    photo_id: int
    owner: str
    image: str
    thumbnail: str
    size_bytes: int


@dataclass
class Plan:
    policy: Policy
    photos: list[Candidate] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(c.size_bytes for c in self.photos)

    def by_user(self) -> dict[str, tuple[int, int]]:
        out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for c in self.photos:
            out[c.owner][0] += 1
            out[c.owner][1] += c.size_bytes
        return {user: (n, size) for user, (n, size) in sorted(out.items())}


def _best_photo_ids(keep: int) -> tuple[set[int], set[int]]:
    """(photos among the best ``keep`` of some species of their owner, photos with any named sighting)."""
    sightings = (
        Sighting.objects.exclude(species_key="")
        .annotate(
            confidence=Max("job__predictions__confidence", filter=Q(job__predictions__label=F("species_key")))
        )
        .values_list("owner_id", "species_key", "photo_id", "confirmed", "confidence", "photo__created_at")
    )
    groups: dict[tuple[int, str], dict[int, tuple[bool, float, datetime]]] = defaultdict(dict)
    for owner_id, species, photo_id, confirmed, confidence, created in sightings.iterator(chunk_size=5000):
        rank = (bool(confirmed), confidence or 0.0, created)
        group = groups[(owner_id, species)]
        group[photo_id] = max(group.get(photo_id, rank), rank)
    best: set[int] = set()
    named: set[int] = set()
    for group in groups.values():
        named.update(group)
        best.update(sorted(group, key=group.__getitem__, reverse=True)[:keep])
    return best, named


def retention_plan(*, policy: Policy, now: datetime | None = None) -> Plan:
    """The originals the policy would remove now (nothing is changed)."""
    plan = Plan(policy)
    if not policy.active:
        return plan
    photos = (
        Photo.objects.filter(originals_kept())
        .exclude(thumbnail="")
        .exclude(jobs__status__in=UNFINISHED)
        .exclude(jobs__reviews__verdict__in=ReviewDecision.LABELLED)
    )
    if policy.days:
        photos = photos.filter(created_at__lt=(now or timezone.now()) - timedelta(days=policy.days))
    best: set[int] = set()
    named: set[int] | None = None
    if policy.best_per_species:
        best, named = _best_photo_ids(policy.best_per_species)
    rows = (
        photos.distinct()
        .order_by("created_at", "id")
        .values_list("id", "owner__username", "image", "thumbnail", "size_bytes")
    )
    for photo_id, owner, image, thumbnail, size in rows.iterator(chunk_size=5000):
        if named is not None and (photo_id in best or (photo_id not in named and not policy.days)):
            continue  # among the best of a species; or no species, and only the best-N rule is on
        plan.photos.append(Candidate(photo_id, owner, image, thumbnail, size))
    return plan


def _file_size(name: str) -> int:
    try:
        return default_storage.size(name)
    except OSError:  # already gone
        return 0


def retention_apply(*, policy: Policy, now: datetime | None = None) -> RetentionRun:
    """Replace each planned original by its thumbnail, then delete the original files no photo still uses."""
    plan = retention_plan(policy=policy, now=now)
    replaced: list[Candidate] = []
    with transaction.atomic():
        for c in plan.photos:
            # Conditional: a photo changed since the plan (deleted, re-pointed) is left alone.
            updated = Photo.objects.filter(pk=c.photo_id, image=c.image, thumbnail=c.thumbnail).update(
                image=F("thumbnail"), size_bytes=_file_size(c.thumbnail)
            )
            if updated:
                replaced.append(c)
        still_used = set(
            Photo.objects.filter(image__in={c.image for c in replaced}).values_list("image", flat=True)
        )
        freed = 0
        doomed = sorted({c.image for c in replaced} - still_used)
        for name in doomed:
            freed += _file_size(name)
        run = RetentionRun.objects.create(policy=policy.as_dict(), photos=len(replaced), bytes_freed=freed)

        def delete_files() -> None:
            for name in doomed:
                try:
                    default_storage.delete(name)
                except OSError:
                    log.warning("retention: could not delete %s", name, exc_info=True)

        transaction.on_commit(delete_files)
    log.info("retention: %d originals replaced by their thumbnail, %d bytes freed", len(replaced), freed)
    return run
