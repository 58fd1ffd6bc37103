"""Writes to sightings. Every function takes keyword arguments and runs in one transaction.

Sightings are made here only: the birds of a finished job (``sightings_create``, called by the results
writer) and a bird the owner names where the model found none (``sighting_of_bird``).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from birdsite.errors import Refused
from birdsite.photos.models import ClassificationJob, Prediction
from birdsite.photos.selectors import sighting_covered_by
from birdsite.sightings import catalog, observers
from birdsite.sightings.models import Sighting


class UnknownSpecies(Refused):
    """A name that is no species of the catalog."""

    default_code = "unknown_species"


def _names_for(sighting: Sighting, species_key: str) -> tuple[str, str]:
    species = catalog.species_get(species_key)
    if species is not None:
        return species.common_name, species.scientific_name
    # A label the model gave but the current catalog lacks (an older model version).
    if sighting.job_id is not None:
        prediction = sighting.job.predictions.filter(label=species_key).order_by("-created_at").first()
        if prediction is not None:
            return prediction.common_name, prediction.scientific_name
    raise UnknownSpecies("unknown_species", f"No species {species_key!r} in the catalog.")


@transaction.atomic
def sighting_update(
    *,
    sighting: Sighting,
    species_key: str | None = None,
    notes: str | None = None,
    confirmed: bool | None = None,
    count: int | None = None,
) -> Sighting:
    """Rename (a catalog key, or "" for "no bird"), annotate, count and/or confirm a sighting.

    Choosing a species is a confirmation unless ``confirmed`` says otherwise.
    """
    if species_key is not None:
        species_key = species_key.strip()
        if species_key:
            sighting.common_name, sighting.scientific_name = _names_for(sighting, species_key)
        else:
            sighting.common_name = sighting.scientific_name = ""
        sighting.species_key = species_key
        if confirmed is None:
            confirmed = True
    if notes is not None:
        sighting.notes = notes.strip()
    if confirmed is not None:
        sighting.confirmed = confirmed
    if count is not None:
        sighting.count = count
    sighting.full_clean(exclude=["photo", "owner", "job"])
    sighting.save()
    return sighting


@transaction.atomic
def sighting_set_place(
    *,
    sighting: Sighting,
    observed_at: dt.datetime | None = None,
    location_name: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Sighting:
    """Correct when and where (EXIF gave the first guess); latitude/longitude go together or not at all."""
    if (latitude is None) != (longitude is None):
        raise ValueError("Give both latitude and longitude, or neither.")
    if observed_at is not None:
        sighting.observed_at = observed_at
    if location_name is not None:
        sighting.location_name = location_name.strip()[:200]
    sighting.latitude, sighting.longitude = latitude, longitude
    sighting.full_clean(exclude=["photo", "owner", "job"])
    sighting.save()
    if sighting.location_name and latitude is not None and longitude is not None:
        # Named once: every other sighting near here reads this name (exports, the form's first guess).
        observers.place_remember(
            user=sighting.owner, name=sighting.location_name, latitude=latitude, longitude=longitude
        )
    return sighting


@transaction.atomic
def sighting_delete(*, sighting: Sighting) -> None:
    """Deleting a sighting deletes its photo, job and predictions too: the user wants it gone."""
    from birdsite.photos.services import photo_delete

    photo_delete(photo=sighting.photo)


@transaction.atomic
def sighting_name_photo(*, job: ClassificationJob, species_key: str, count: int = 1) -> Sighting:
    """The owner names a bird in a photo the model found none in: only now does it become a sighting
    (confirmed: the owner said it). A photo that already has one is renamed instead."""
    species_key = species_key.strip()
    if not species_key:
        raise UnknownSpecies("species_required", "Choose the species you saw.")
    sighting = sighting_of_bird(job=job, bird=0)
    return sighting_update(sighting=sighting, species_key=species_key, confirmed=True, count=count)


def _new_sighting(job: ClassificationJob, bird: int, top: Prediction | None) -> Sighting:
    """An unsaved sighting of one bird of a finished job, named after ``top`` (None: left unnamed)."""
    named = top is not None
    return Sighting(
        owner_id=job.owner_id,
        photo_id=job.photo_id,
        job=job,
        bird=bird,
        species_key=top.label if named else "",
        common_name=top.common_name if named else "",
        scientific_name=top.scientific_name if named else "",
        observed_at=job.photo.taken_at or job.photo.created_at,
        latitude=job.photo.latitude,
        longitude=job.photo.longitude,
    )


def sighting_of_bird(*, job: ClassificationJob, bird: int) -> Sighting:
    """The sighting of one bird of a finished job: the one it has (locked), else a new, unnamed one (the
    owner naming a bird in a photo the model found none in)."""
    existing = Sighting.objects.select_for_update().filter(job=job, bird=bird).first()
    if existing is not None:
        return existing
    sighting = _new_sighting(job, bird, None)
    sighting.save()
    return sighting


def sightings_create(*, birds: list[tuple[ClassificationJob, int, Prediction | None]]) -> None:
    """Each bird of a finished job becomes a sighting named after its best guess; one that has a sighting
    keeps it (a second delivery, or a new model version, never renames what the user may have edited).

    A region the owner drew over a bird an earlier look found is that bird, not a second one: it renames
    that sighting to its answer unless the owner confirmed a name (then the name stays, and the region's
    page links to that sighting to confirm or rename)."""
    jobs = {job.pk for job, *_ in birds}
    have = set(Sighting.objects.filter(job__in=jobs).values_list("job_id", "bird"))
    new = []
    for job, bird, top in birds:
        if (job.pk, bird) in have:
            continue
        covered = sighting_covered_by(job) if bird == 0 else None
        if covered is None:
            new.append(_new_sighting(job, bird, top))
        elif top is not None and not covered.confirmed and covered.species_key != top.label:
            _rename_to(covered, top)
    if new:
        Sighting.objects.bulk_create(new)


def _rename_to(sighting: Sighting, top: Prediction) -> None:
    sighting.species_key, sighting.common_name, sighting.scientific_name = (
        top.label,
        top.common_name,
        top.scientific_name,
    )
    sighting.save(update_fields=["species_key", "common_name", "scientific_name"])
