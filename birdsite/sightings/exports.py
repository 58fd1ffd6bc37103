"""A user's sightings as CSV, and in eBird's "Record Format" import layout (19 columns, no header).

Both are generators of CSV lines (for a streaming response). Confirmed sightings only unless
``include_unconfirmed``; the model's confidence goes in the comments. Times are the local time where
the bird was seen (``birdsite/sightings/local.py``: the camera's clock, else the place's zone, else the
account's, said in the row); State and Country come from the coordinates, offline. Places are the
names the owner gave each location once. Location is exported because the owner asked for their own
data; these responses are owner-only.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from birdsite.photos.models import Prediction
from birdsite.sightings.local import observation_time, region_at
from birdsite.sightings.models import Place, Sighting
from birdsite.sightings.observers import observer_zone, place_named, place_near, places_for

CSV_COLUMNS = [
    "id", "date", "time", "common_name", "scientific_name", "species_key", "confirmed", "confidence",
    "model_version", "location_name", "latitude", "longitude", "camera", "file_name", "notes", "count",
    "local_time_from",
]  # fmt: skip
# "local_time_from" says how the local date and time were known (birdsite/sightings/local.py), in words.
# https://support.ebird.org/ "eBird Record Format (Specifications)", columns A–S, in this order.
EBIRD_COLUMNS = [
    "Common Name", "Genus", "Species", "Number", "Species Comments", "Location Name", "Latitude",
    "Longitude", "Date", "Start Time", "State/Province", "Country Code", "Protocol",
    "Number of Observers", "Duration", "All observations reported?", "Effort Distance Miles",
    "Effort area acres", "Submission Comments",
]  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like whose ``write`` returns the line, so ``csv.writer`` can feed a generator."""

    def write(self, value: str) -> str:
        return value


def _rows_to_lines(rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    for row in rows:
        yield writer.writerow(row)


def _safe(text: str) -> str:
    """Spreadsheets run cells that start like a formula; the generic CSV defuses them."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _sightings(
    user: AbstractBaseUser, include_unconfirmed: bool, date_from: dt.date | None, date_to: dt.date | None
) -> QuerySet[Sighting]:
    qs = Sighting.objects.filter(owner_id=user.pk).exclude(species_key="").select_related("photo", "job")
    if not include_unconfirmed:
        qs = qs.filter(confirmed=True)
    # Rows are dated in the local time of their place, which may be a day off the owner's zone: a day of
    # margin here, the exact range on each row's local date (``_in_range``).
    zone = observer_zone(user)
    if date_from:
        start = dt.datetime.combine(date_from - dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        qs = qs.filter(observed_at__gte=start)
    if date_to:
        end = dt.datetime.combine(date_to + dt.timedelta(days=2), dt.time.min, tzinfo=zone)
        qs = qs.filter(observed_at__lt=end)
    return qs.order_by("observed_at", "id")


def _in_range(day: dt.date, date_from: dt.date | None, date_to: dt.date | None) -> bool:
    return (date_from is None or day >= date_from) and (date_to is None or day <= date_to)


def _confidences(sightings: list[Sighting]) -> dict[int, float]:
    """The model's confidence in the species each sighting now carries (None if the model never said it)."""
    jobs = {s.job_id: s for s in sightings if s.job_id is not None}
    found: dict[int, float] = {}
    rows = Prediction.objects.filter(job_id__in=list(jobs)).values_list(
        "job_id", "label", "model_version", "confidence"
    )
    for job_id, label, version, confidence in rows:
        sighting = jobs[job_id]
        if label == sighting.species_key and version == sighting.job.model_version:
            found[sighting.pk] = confidence
    return found


def sightings_csv(
    user: AbstractBaseUser,
    *,
    include_unconfirmed: bool = False,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> Iterator[str]:
    """One row per sighting, with a header row."""
    sightings = list(_sightings(user, include_unconfirmed, date_from, date_to))
    confidence = _confidences(sightings)
    zone, places = observer_zone(user), places_for(user)

    def rows() -> Iterator[list[Any]]:
        yield CSV_COLUMNS
        for s in sightings:
            conf = confidence.get(s.pk)
            name, lat, lng = _where(s, places)
            when = observation_time(s, lat, lng, zone)
            local = when.at
            if not _in_range(local.date(), date_from, date_to):
                continue
            yield [
                s.pk, local.date().isoformat(), local.strftime("%H:%M"), s.common_name, s.scientific_name,
                s.species_key, "yes" if s.confirmed else "no", f"{conf:.3f}" if conf is not None else "",
                s.job.model_version if s.job else "", _safe(name),
                "" if lat is None else f"{lat:.6f}", "" if lng is None else f"{lng:.6f}",
                _safe(s.photo.camera), _safe(s.photo.original_name), _safe(s.notes), s.count, when.source,
            ]  # fmt: skip

    return _rows_to_lines(rows())


def _genus_species(scientific_name: str) -> tuple[str, str]:
    genus, _, species = scientific_name.strip().partition(" ")
    return genus, species


def _where(s: Sighting, places: list[Place]) -> tuple[str, float | None, float | None]:
    """The sighting's place name and coordinates, filled from the owner's named places where it lacks them:
    a name from the place within the radius of its coordinates, coordinates from the place of its name."""
    name, lat, lng = s.location_name, s.latitude, s.longitude
    if not name:
        near = place_near(places, lat, lng)
        name = near.name if near else ""
    if lat is None or lng is None:
        named = place_named(places, name)
        if named is not None:
            lat, lng = named.latitude, named.longitude
    return name, lat, lng


def _species_comment(group: list[Sighting], confidence: dict[int, float]) -> str:
    scores = [confidence[s.pk] for s in group if s.pk in confidence]
    photos = f"{len(group)} photo{'s' if len(group) != 1 else ''}"
    parts = [f"Identified from {photos} with birdsite"]
    if scores:
        parts.append(f"model confidence {max(scores):.0%}")
    parts.append("confirmed by observer" if all(s.confirmed for s in group) else "not all confirmed")
    # One line: eBird's importer reads a line break inside a comment as the end of the record.
    notes = "; ".join(" ".join(s.notes.split()) for s in group if s.notes)
    return (", ".join(parts) + (f". {notes}" if notes else "."))[:1000]


def _coordinate(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def sightings_ebird_csv(
    user: AbstractBaseUser,
    *,
    include_unconfirmed: bool = False,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    header: bool = False,
) -> Iterator[str]:
    """eBird Record Format: one row per species per checklist (local date + place), Incidental protocol.

    Number is the largest count among that species' sightings there: several photos of one jay are one
    jay, not one per photo. eBird takes no header row, ``header=True`` adds one for people reading it.
    """
    sightings = list(_sightings(user, include_unconfirmed, date_from, date_to))
    confidence = _confidences(sightings)
    zone, places = observer_zone(user), places_for(user)
    checklists: dict[tuple[dt.date, str, str, str], dict[str, list[Sighting]]] = {}
    starts: dict[tuple[dt.date, str, str, str], dt.datetime] = {}
    sources: dict[tuple[dt.date, str, str, str], set[str]] = {}
    regions: dict[tuple[dt.date, str, str, str], tuple[str, str]] = {}
    for s in sightings:
        name, lat, lng = _where(s, places)
        when = observation_time(s, lat, lng, zone)
        if not _in_range(when.at.date(), date_from, date_to):
            continue
        key = (when.at.date(), name or "Unknown location", _coordinate(lat), _coordinate(lng))
        checklists.setdefault(key, {}).setdefault(s.species_key, []).append(s)
        starts[key] = min(starts.get(key, when.at), when.at)
        sources.setdefault(key, set()).add(when.source)
        if lat is not None and lng is not None and key not in regions:
            region = region_at(round(lat, 4), round(lng, 4))
            regions[key] = (region.state, region.country)

    def rows() -> Iterator[list[Any]]:
        if header:
            yield EBIRD_COLUMNS
        for key, by_species in checklists.items():
            day, place, lat, lng = key
            state, country = regions.get(key, ("", ""))
            times = "; ".join(sorted(sources[key]))
            for group in by_species.values():
                genus, species = _genus_species(group[0].scientific_name)
                yield [
                    group[0].common_name, genus, species, max(s.count for s in group),
                    _species_comment(group, confidence), place, lat, lng, day.strftime("%m/%d/%Y"),
                    starts[key].strftime("%H:%M"), state, country, "Incidental", 1, "", "N", "", "",
                    f"Exported from birdsite (photo identifications); local time from the {times}.",
                ]  # fmt: skip

    return _rows_to_lines(rows())
