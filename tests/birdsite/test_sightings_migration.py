"""Migration 0004 turns the old writer's untouched "No bird / unnamed" sightings back into photos."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from birdsite.photos.models import Photo
from birdsite.sightings.models import Sighting
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db
migration = importlib.import_module("birdsite.sightings.migrations.0004_review_count_places")


def test_only_the_untouched_unnamed_sightings_go_and_their_photos_stay(owner) -> None:
    untouched, noted, confirmed, named = (finished_job(owner).sighting for _ in range(4))
    Sighting.objects.filter(pk__in=[untouched.pk, noted.pk, confirmed.pk]).update(
        species_key="", common_name=""
    )
    Sighting.objects.filter(pk=noted.pk).update(notes="a bird behind the leaves")
    Sighting.objects.filter(pk=confirmed.pk).update(confirmed=True)
    migration._unnamed_to_photos(apps, None)
    assert set(Sighting.objects.values_list("pk", flat=True)) == {noted.pk, confirmed.pk, named.pk}
    assert Photo.objects.filter(pk=untouched.photo_id).exists()


def test_an_unnamed_sighting_whose_date_or_place_the_owner_changed_stays(owner) -> None:
    import datetime as dt

    moved, redated, left = (finished_job(owner).sighting for _ in range(3))
    Sighting.objects.filter(pk__in=[moved.pk, redated.pk, left.pk]).update(species_key="", common_name="")
    Sighting.objects.filter(pk=moved.pk).update(latitude=52.5, longitude=13.4)
    Sighting.objects.filter(pk=redated.pk).update(observed_at=dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC))
    migration._unnamed_to_photos(apps, None)
    assert set(Sighting.objects.values_list("pk", flat=True)) == {moved.pk, redated.pk}
