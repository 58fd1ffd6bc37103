"""A photo with no bird found stays a photo until its owner names a bird in it (issue 14)."""

from __future__ import annotations

import pytest

from birdsite.photos.payloads import job_payload
from birdsite.sightings.models import Sighting
from tests.fakes import FakeClassifier, fake_result
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_bird(owner):
    return finished_job(owner, FakeClassifier(result=fake_result(is_bird=False)))


def test_the_result_of_a_photo_with_no_bird_offers_to_name_one_instead_of_a_sighting(no_bird) -> None:
    payload = job_payload(no_bird)
    assert payload["sighting_url"] is None and payload["name_url"] == f"/sightings/new/{no_bird.pk}/"
    assert not Sighting.objects.filter(job=no_bird).exists()


def test_naming_a_bird_makes_it_a_confirmed_sighting_with_its_count(owner_client, no_bird) -> None:
    assert owner_client.get(f"/sightings/new/{no_bird.pk}/").status_code == 200
    response = owner_client.post(f"/sightings/new/{no_bird.pk}/", {"species_key": "norcar", "count": "2"})
    sighting = Sighting.objects.get(job=no_bird)
    assert response.status_code == 302 and response["Location"] == f"/sightings/{sighting.pk}/"
    assert (sighting.species_key, sighting.confirmed, sighting.count, sighting.bird) == ("norcar", True, 2, 0)
    assert sighting.observed_at == (no_bird.photo.taken_at or no_bird.photo.created_at)
    # Named once: the page now leads to the sighting, and the result no longer offers to name it.
    assert owner_client.get(f"/sightings/new/{no_bird.pk}/")["Location"] == f"/sightings/{sighting.pk}/"
    assert job_payload(no_bird)["name_url"] is None


def test_naming_nothing_or_an_unknown_species_saves_nothing(owner_client, no_bird) -> None:
    assert owner_client.post(f"/sightings/new/{no_bird.pk}/", {"species_key": ""}).status_code == 400
    assert owner_client.post(f"/sightings/new/{no_bird.pk}/", {"species_key": "nosuch"}).status_code == 400
    assert not Sighting.objects.filter(job=no_bird).exists()


def test_another_user_cannot_name_a_bird_in_my_photo(stranger_client, no_bird) -> None:
    assert stranger_client.post(f"/sightings/new/{no_bird.pk}/", {"species_key": "norcar"}).status_code == 404
    assert not Sighting.objects.filter(job=no_bird).exists()
