"""Reads of sightings, always scoped to one owner."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, QuerySet

from birdsite.sightings.models import Sighting

# The history's filter: what the owner confirmed, the model's guesses still to check, what staff reviewed,
# and reviewer suggestions waiting for the owner's answer.
STATUSES = [
    ("", "All"),
    ("confirmed", "Confirmed"),
    ("unconfirmed", "Not confirmed"),
    ("reviewed", "Reviewed"),
    ("suggested", "Reviewer suggestion waiting"),
]


@dataclass(frozen=True)
class SpeciesCount:
    species_key: str
    common_name: str
    count: int


def sightings_for(
    *,
    user: AbstractBaseUser,
    species_key: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    status: str = "",
) -> QuerySet[Sighting]:
    """``status``: one of STATUSES ("" for all)."""
    qs = Sighting.objects.filter(owner_id=user.pk).select_related("photo", "job")
    if species_key:
        qs = qs.filter(species_key=species_key)
    if status == "confirmed":
        qs = qs.filter(confirmed=True)
    elif status == "unconfirmed":
        qs = qs.filter(confirmed=False)
    elif status == "reviewed":
        qs = qs.filter(reviewed_at__isnull=False)
    elif status == "suggested":
        qs = qs.exclude(suggested_key="")
    if date_from:
        qs = qs.filter(observed_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(observed_at__date__lte=date_to)
    return qs.order_by("-observed_at", "-id")


def species_counts_for(*, user: AbstractBaseUser) -> list[SpeciesCount]:
    rows = (
        Sighting.objects.filter(owner_id=user.pk)
        .exclude(species_key="")
        .values("species_key", "common_name")
        .annotate(n=Count("id"))
        .order_by("common_name")
    )
    merged: dict[str, SpeciesCount] = {}
    for row in rows:  # the same key may carry two name snapshots; count them together
        key = row["species_key"]
        previous = merged.get(key)
        count = row["n"] + (previous.count if previous else 0)
        merged[key] = SpeciesCount(key, previous.common_name if previous else row["common_name"], count)
    return sorted(merged.values(), key=lambda s: s.common_name.lower())


def suggestions_waiting(*, user: AbstractBaseUser) -> int:
    """How many of ``user``'s sightings have a reviewer's suggestion waiting for their answer."""
    return Sighting.objects.filter(owner_id=user.pk).exclude(suggested_key="").count()
