"""A user's sightings as CSV, and in eBird's "Record Format" import layout (19 columns, no header).

Both are generators of CSV lines (for a streaming response). Confirmed sightings only unless
``include_unconfirmed``; the model's confidence goes in the comments. Location is exported
because the owner asked for their own data; these responses are owner-only.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from birdsite.photos.models import Prediction
from birdsite.sightings.lifelist import place_of
from birdsite.sightings.models import Sighting

CSV_COLUMNS = [
    "id", "date", "time", "common_name", "scientific_name", "species_key", "confirmed", "confidence",
    "model_version", "location_name", "latitude", "longitude", "camera", "file_name", "notes",
]  # fmt: skip
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
    if date_from:
        qs = qs.filter(observed_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(observed_at__date__lte=date_to)
    return qs.order_by("observed_at", "id")


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

    def rows() -> Iterator[list[Any]]:
        yield CSV_COLUMNS
        for s in sightings:
            local = timezone.localtime(s.observed_at)
            conf = confidence.get(s.pk)
            yield [
                s.pk, local.date().isoformat(), local.strftime("%H:%M"), s.common_name, s.scientific_name,
                s.species_key, "yes" if s.confirmed else "no", f"{conf:.3f}" if conf is not None else "",
                s.job.model_version if s.job else "", _safe(s.location_name),
                "" if s.latitude is None else f"{s.latitude:.6f}",
                "" if s.longitude is None else f"{s.longitude:.6f}",
                _safe(s.photo.camera), _safe(s.photo.original_name), _safe(s.notes),
            ]  # fmt: skip

    return _rows_to_lines(rows())


def _genus_species(scientific_name: str) -> tuple[str, str]:
    genus, _, species = scientific_name.strip().partition(" ")
    return genus, species


def _checklist_key(s: Sighting) -> tuple[dt.date, str, str, str]:
    """eBird checklists are one date at one place: sightings group by these."""
    lat = "" if s.latitude is None else f"{s.latitude:.4f}"
    lng = "" if s.longitude is None else f"{s.longitude:.4f}"
    return timezone.localtime(s.observed_at).date(), s.location_name, lat, lng


def _species_comment(group: list[Sighting], confidence: dict[int, float]) -> str:
    scores = [confidence[s.pk] for s in group if s.pk in confidence]
    photos = f"{len(group)} photo{'s' if len(group) != 1 else ''}"
    parts = [f"Identified from {photos} with birdsite"]
    if scores:
        parts.append(f"model confidence {max(scores):.0%}")
    parts.append("confirmed by observer" if all(s.confirmed for s in group) else "not all confirmed")
    notes = "; ".join(s.notes for s in group if s.notes)
    return (", ".join(parts) + (f". {notes}" if notes else "."))[:1000]


def sightings_ebird_csv(
    user: AbstractBaseUser,
    *,
    include_unconfirmed: bool = False,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    header: bool = False,
) -> Iterator[str]:
    """eBird Record Format: one row per species per checklist (date + place), Incidental protocol.

    Number is the count of photos of that species there (a lower bound); eBird takes no header
    row, ``header=True`` adds one for people reading the file.
    """
    sightings = list(_sightings(user, include_unconfirmed, date_from, date_to))
    confidence = _confidences(sightings)
    checklists: dict[tuple[dt.date, str, str, str], dict[str, list[Sighting]]] = {}
    for s in sightings:
        checklists.setdefault(_checklist_key(s), {}).setdefault(s.species_key, []).append(s)

    def rows() -> Iterator[list[Any]]:
        if header:
            yield EBIRD_COLUMNS
        for (day, _name, lat, lng), by_species in checklists.items():
            members = [s for group in by_species.values() for s in group]
            start = min(timezone.localtime(s.observed_at) for s in members).strftime("%H:%M")
            place = place_of(members[0]) or "Unknown location"
            for group in by_species.values():
                genus, species = _genus_species(group[0].scientific_name)
                yield [
                    group[0].common_name, genus, species, len(group), _species_comment(group, confidence),
                    place, lat, lng, day.strftime("%m/%d/%Y"), start, "", "", "Incidental", 1, "", "N",
                    "", "",
                    "Exported from birdsite (photo identifications).",
                ]  # fmt: skip

    return _rows_to_lines(rows())
