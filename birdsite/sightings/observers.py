"""A birder's own settings: the time zone their sightings are dated in, and the places they named once.

eBird wants local time and a place name per location; photos give UTC-ish EXIF times and bare
coordinates, so the owner says both once and every sighting (and export) reads them.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from functools import lru_cache

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from birdsite.errors import Refused
from birdsite.sightings.models import Observer, Place

# Photos taken a few hundred metres apart are one birding spot; eBird's own "nearby" hotspots are ~1 km.
PLACE_RADIUS_M = 500.0
_EARTH_M = 6_371_000.0


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def observer_zone_name(user: AbstractBaseUser) -> str:
    """The zone the owner chose ("" when none: the site's)."""
    return Observer.objects.filter(owner_id=user.pk).values_list("time_zone", flat=True).first() or ""


def observer_zone(user: AbstractBaseUser) -> dt.tzinfo:
    """The owner's zone, else the site's (TIME_ZONE)."""
    if not user.is_authenticated:
        return timezone.get_default_timezone()
    name = observer_zone_name(user)
    return zoneinfo.ZoneInfo(name) if name in time_zone_names() else timezone.get_default_timezone()


@transaction.atomic
def observer_set_time_zone(*, user: AbstractBaseUser, time_zone: str) -> Observer:
    """Store the owner's IANA zone ("" goes back to the site's)."""
    name = time_zone.strip()
    if name and name not in time_zone_names():
        raise Refused("invalid_time_zone", f"{name!r} is not a time zone name (e.g. Europe/Berlin).")
    observer, _ = Observer.objects.update_or_create(owner_id=user.pk, defaults={"time_zone": name})
    return observer


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    half_lng = math.sin(math.radians(lng2 - lng1) / 2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * half_lng**2
    return 2 * _EARTH_M * math.asin(min(1.0, math.sqrt(a)))


def places_for(user: AbstractBaseUser) -> list[Place]:
    return list(Place.objects.filter(owner_id=user.pk))


def place_near(places: list[Place], latitude: float | None, longitude: float | None) -> Place | None:
    """The nearest of ``places`` within PLACE_RADIUS_M of a point, or None."""
    if latitude is None or longitude is None:
        return None
    scored = [(distance_m(latitude, longitude, p.latitude, p.longitude), p) for p in places]
    near = [(d, p) for d, p in scored if d <= PLACE_RADIUS_M]
    return min(near, key=lambda dp: dp[0])[1] if near else None


def place_named(places: list[Place], name: str) -> Place | None:
    """The place of that name (case-insensitive): a sighting typed its name but has no coordinates."""
    wanted = name.strip().casefold()
    return next((p for p in places if wanted and p.name.casefold() == wanted), None)


@transaction.atomic
def place_remember(*, user: AbstractBaseUser, name: str, latitude: float, longitude: float) -> Place:
    """Name a location once: the place within the radius is renamed, else a new one is stored."""
    name = name.strip()[:200]
    if not name:
        raise Refused("invalid_place", "A place needs a name.")
    existing = place_near(places_for(user), latitude, longitude)
    if existing is not None:
        existing.name = name
        existing.save(update_fields=["name"])
        return existing
    return Place.objects.create(owner_id=user.pk, name=name, latitude=latitude, longitude=longitude)


@transaction.atomic
def place_delete(*, user: AbstractBaseUser, place_id: int) -> None:
    Place.objects.filter(owner_id=user.pk, pk=place_id).delete()
