"""The life list: each confirmed species once, with the first date and place, counts, and year lists."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from birdsite.sightings.models import Sighting


@dataclass(frozen=True)
class LifeListEntry:
    species_key: str
    common_name: str
    scientific_name: str
    first_seen: dt.datetime
    first_sighting_id: int
    first_place: str  # location name, else "lat, lng", else ""; the owner's own page only
    count: int


@dataclass(frozen=True)
class LifeList:
    entries: list[LifeListEntry]
    year: int | None = None
    # Species per calendar year, newest first (in the site's time zone).
    years: list[tuple[int, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.entries)


def place_of(sighting: Sighting) -> str:
    if sighting.location_name:
        return sighting.location_name
    if sighting.latitude is not None and sighting.longitude is not None:
        return f"{sighting.latitude:.5f}, {sighting.longitude:.5f}"
    return ""


def lifelist_for(user: AbstractBaseUser, *, year: int | None = None) -> LifeList:
    """Confirmed, named sightings of ``user``; ``year`` makes it that year's list."""
    confirmed = Sighting.objects.filter(owner_id=user.pk, confirmed=True).exclude(species_key="")
    zone = timezone.get_current_timezone()
    first: dict[str, Sighting] = {}
    counts: Counter[str] = Counter()
    per_year: dict[int, set[str]] = {}
    for sighting in confirmed.order_by("observed_at", "id").iterator():
        seen_year = timezone.localtime(sighting.observed_at, zone).year
        per_year.setdefault(seen_year, set()).add(sighting.species_key)
        if year is not None and seen_year != year:
            continue
        counts[sighting.species_key] += 1
        first.setdefault(sighting.species_key, sighting)
    entries = [
        LifeListEntry(
            species_key=key,
            common_name=s.common_name,
            scientific_name=s.scientific_name,
            first_seen=s.observed_at,
            first_sighting_id=s.pk,
            first_place=place_of(s),
            count=counts[key],
        )
        for key, s in first.items()
    ]
    entries.sort(key=lambda e: (e.first_seen, e.common_name.lower()))
    years = sorted(((y, len(keys)) for y, keys in per_year.items()), reverse=True)
    return LifeList(entries=entries, year=year, years=years)
