"""What staff review does to owners' sightings: marks them reviewed and, where the reviewer named another
species, leaves a suggestion the owner accepts or declines. The owner's name is never overwritten."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from birdsite.sightings import services
from birdsite.sightings.models import Sighting

_SUGGESTION = ["suggested_key", "suggested_common_name", "suggested_scientific_name"]


@transaction.atomic
def sightings_reviewed(*, job_id: int, label: str, common_name: str, scientific_name: str) -> int:
    """A reviewer decided on ``job_id``'s best bird (``label`` "" when they named none); returns how many
    sightings changed. A label equal to the owner's species clears any older suggestion."""
    changed = 0
    for sighting in Sighting.objects.select_for_update().filter(job_id=job_id, bird=0):
        sighting.reviewed_at = timezone.now()
        if label and label != sighting.species_key:
            sighting.suggested_key, sighting.suggested_common_name = label, common_name
            sighting.suggested_scientific_name = scientific_name
        elif label:
            sighting.suggested_key = sighting.suggested_common_name = sighting.suggested_scientific_name = ""
        sighting.save(update_fields=["reviewed_at", *_SUGGESTION, "updated_at"])
        changed += 1
    return changed


def _clear(sighting: Sighting) -> None:
    sighting.suggested_key = sighting.suggested_common_name = sighting.suggested_scientific_name = ""


@transaction.atomic
def suggestion_accept(*, sighting: Sighting) -> Sighting:
    """The owner takes the reviewer's species: it becomes the sighting's name, confirmed."""
    if not sighting.suggested_key:
        return sighting
    key, common = sighting.suggested_key, sighting.suggested_common_name
    scientific = sighting.suggested_scientific_name
    _clear(sighting)
    try:
        return services.sighting_update(sighting=sighting, species_key=key, confirmed=True)
    except services.UnknownSpecies:
        # The catalog no longer has it: the reviewer's snapshot of the names is what they meant.
        sighting.species_key, sighting.common_name, sighting.scientific_name = key, common, scientific
        sighting.confirmed = True
        sighting.save()
        return sighting


@transaction.atomic
def suggestion_keep(*, sighting: Sighting) -> Sighting:
    """The owner keeps their own name; the suggestion goes, the "reviewed" mark stays."""
    _clear(sighting)
    sighting.save(update_fields=[*_SUGGESTION, "updated_at"])
    return sighting
