from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from birdsite.photos.models import ClassificationJob, Photo
from birdsite.sightings.models import Sighting
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db
LIST_URL = reverse("api:sighting-list")


def detail_url(sighting: Sighting) -> str:
    return reverse("api:sighting-detail", args=[sighting.pk])


@pytest.fixture
def sighting(owner) -> Sighting:
    return finished_job(owner).sighting


def test_a_sighting_reads_as_documented(owner_api, sighting) -> None:
    body = owner_api.get(detail_url(sighting)).json()
    assert body["species_key"] == "amegfi" and body["common_name"] == "American Goldfinch"
    assert body["scientific_name"] == "Spinus tristis" and body["confirmed"] is False
    assert body["classification"] == sighting.job_id and body["photo"] == sighting.photo_id


def test_sightings_filter_by_species_and_date(owner_api, owner) -> None:
    goldfinch = finished_job(owner).sighting
    no_bird = finished_job(owner).sighting
    Sighting.objects.filter(pk=no_bird.pk).update(
        observed_at=timezone.now() - dt.timedelta(days=10), species_key="", common_name=""
    )
    everything = owner_api.get(LIST_URL).json()
    assert everything["count"] == 2 and everything["results"][0]["id"] == goldfinch.pk
    by_species = owner_api.get(LIST_URL, {"species": "amegfi"}).json()
    assert [s["id"] for s in by_species["results"]] == [goldfinch.pk]
    old = (timezone.now() - dt.timedelta(days=5)).date().isoformat()
    assert [s["id"] for s in owner_api.get(LIST_URL, {"date_to": old}).json()["results"]] == [no_bird.pk]
    assert [s["id"] for s in owner_api.get(LIST_URL, {"date_from": old}).json()["results"]] == [goldfinch.pk]
    response = owner_api.get(LIST_URL, {"date_from": "last week"})
    assert response.status_code == 400 and "date_from" in response.json()["details"]


def test_renaming_a_sighting_confirms_it_with_the_catalog_names(owner_api, sighting) -> None:
    response = owner_api.patch(detail_url(sighting), {"species_key": "norcar", "notes": " in the snow "})
    assert response.status_code == 200
    body = response.json()
    assert body["common_name"] == "Northern Cardinal" and body["confirmed"] is True
    assert body["notes"] == "in the snow"
    sighting.refresh_from_db()
    assert sighting.species_key == "norcar"


def test_notes_alone_keep_the_species_and_confirmed_can_be_undone(owner_api, sighting) -> None:
    body = owner_api.patch(detail_url(sighting), {"notes": "far away"}).json()
    assert body["species_key"] == "amegfi" and body["confirmed"] is False
    body = owner_api.patch(detail_url(sighting), {"confirmed": True}).json()
    assert body["confirmed"] is True
    body = owner_api.patch(detail_url(sighting), {"species_key": ""}).json()
    assert body["species_key"] == "" and body["common_name"] == ""


def test_an_unknown_species_is_a_400_with_its_own_code(owner_api, sighting) -> None:
    response = owner_api.patch(detail_url(sighting), {"species_key": "dodo"})
    assert response.status_code == 400 and response.json()["code"] == "unknown_species"
    sighting.refresh_from_db()
    assert sighting.species_key == "amegfi"


def test_deleting_a_sighting_removes_its_photo_and_job(owner_api, sighting) -> None:
    assert owner_api.delete(detail_url(sighting)).status_code == 204
    assert not Sighting.objects.exists() and not Photo.objects.exists()
    assert not ClassificationJob.objects.exists()
    assert owner_api.get(detail_url(sighting)).status_code == 404


def test_a_stranger_can_neither_see_change_nor_delete_the_owners_sighting(
    stranger_api, staff_api, sighting
) -> None:
    for client in (stranger_api, staff_api):
        assert client.get(detail_url(sighting)).status_code == 404
        assert client.patch(detail_url(sighting), {"notes": "mine now"}).status_code == 404
        assert client.delete(detail_url(sighting)).status_code == 404
        assert client.get(LIST_URL).json()["count"] == 0
        assert client.get(LIST_URL, {"species": "amegfi"}).json()["count"] == 0
    sighting.refresh_from_db()
    assert sighting.notes == "" and Sighting.objects.filter(pk=sighting.pk).exists()


def test_when_and_where_can_be_corrected_and_a_lone_coordinate_is_refused(owner_api, sighting) -> None:
    url = detail_url(sighting)
    body = owner_api.patch(url, {"latitude": 52.5, "longitude": 13.4, "location_name": "Tiergarten"}).json()
    assert (body["latitude"], body["longitude"], body["location_name"]) == (52.5, 13.4, "Tiergarten")
    body = owner_api.patch(url, {"location_name": "Berlin", "notes": "two"}).json()
    assert body["latitude"] == 52.5 and body["location_name"] == "Berlin" and body["notes"] == "two"
    body = owner_api.patch(url, {"observed_at": "2024-05-01T07:30:00Z"}).json()
    assert body["observed_at"].startswith("2024-05-01T07:30")
    body = owner_api.patch(url, {"latitude": None, "longitude": None}).json()
    assert body["latitude"] is None and body["longitude"] is None
    response = owner_api.patch(url, {"latitude": 10.0, "longitude": None, "notes": "not saved"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_place"
    sighting.refresh_from_db()
    assert sighting.notes == "two"  # one request, one transaction
    assert owner_api.patch(url, {"latitude": 91, "longitude": 0}).status_code == 400


def test_the_api_gives_the_count_and_a_reviewers_suggestion_and_filters_by_status(owner_api, owner, staff):
    from birdsite.review import services as review

    sighting = finished_job(owner).sighting
    other = finished_job(owner).sighting
    review.review_decide(job=sighting.job, reviewer=staff, verdict="corrected", label="norcar")
    body = owner_api.get(f"{LIST_URL}{sighting.pk}/").json()
    assert body["count"] == 1 and body["reviewed_at"] is not None
    assert body["suggestion"] == {
        "species_key": "norcar",
        "common_name": "Northern Cardinal",
        "scientific_name": "Cardinalis cardinalis",
    }
    assert body["species_key"] == sighting.species_key  # a suggestion, not a rename
    assert owner_api.get(f"{LIST_URL}{other.pk}/").json()["suggestion"] is None
    reviewed = owner_api.get(LIST_URL, {"status": "reviewed"}).json()["results"]
    assert [s["id"] for s in reviewed] == [sighting.pk]
    assert owner_api.get(LIST_URL, {"status": "nonsense"}).status_code == 400
    patched = owner_api.patch(f"{LIST_URL}{other.pk}/", {"count": 3}, format="json")
    assert patched.status_code == 200 and patched.json()["count"] == 3
    assert owner_api.patch(f"{LIST_URL}{other.pk}/", {"count": 0}, format="json").status_code == 400


def test_the_owner_answers_a_reviewers_suggestion_over_the_api(owner_api, owner, staff, stranger) -> None:
    from rest_framework.test import APIClient

    from birdsite.review import services as review

    accepted, kept = finished_job(owner).sighting, finished_job(owner).sighting
    for s in (accepted, kept):
        review.review_decide(job=s.job, reviewer=staff, verdict="corrected", label="norcar")
    url = reverse("api:sighting-suggestion", args=[accepted.pk])
    other = APIClient()
    other.force_authenticate(stranger)
    assert other.post(url, {"answer": "accept"}, format="json").status_code == 404
    body = owner_api.post(url, {"answer": "accept"}, format="json").json()
    assert (body["species_key"], body["confirmed"], body["suggestion"]) == ("norcar", True, None)
    mine = kept.species_key
    body = owner_api.post(
        reverse("api:sighting-suggestion", args=[kept.pk]), {"answer": "keep"}, format="json"
    )
    assert body.json()["species_key"] == mine and body.json()["suggestion"] is None
    again = owner_api.post(url, {"answer": "accept"}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "no_suggestion"
    assert owner_api.post(url, {"answer": "maybe"}, format="json").status_code == 400
