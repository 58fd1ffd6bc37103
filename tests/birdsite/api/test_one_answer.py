"""Issue 22: the page's JSON (and its push) and the API's JSON are one serialization of a job's answer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.answers import result_with
from tests.fakes import FakeClassifier, fake_result, fake_two_birds
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db
SHARED = ("verdict", "is_bird", "bird_score", "answer", "birds", "predictions", "model_version")

RESULTS = {
    "a species": lambda: result_with("species"),
    "a genus answer": lambda: result_with("higher_taxon", top_confidence=0.4),
    "an unknown species": lambda: result_with("unknown"),
    "no bird": lambda: fake_result(is_bird=False),
    "several birds": lambda: fake_two_birds(),
    "a second look that is no bird": lambda: fake_two_birds(second_is_bird=False),
}


@pytest.mark.parametrize("kind", RESULTS)
def test_the_page_and_the_api_carry_the_same_answer_for_the_same_job(
    owner, owner_client, owner_api, kind
) -> None:
    job = finished_job(owner, FakeClassifier(result=RESULTS[kind]()))
    page = owner_client.get(reverse("photos:job-status", args=[job.pk])).json()
    api = owner_api.get(reverse("api:classification-detail", args=[job.pk])).json()
    assert {k: page[k] for k in SHARED} == {k: api[k] for k in SHARED}


def test_a_photo_with_no_bird_names_no_species_on_the_page_or_in_the_api(
    owner, owner_client, owner_api
) -> None:
    job = finished_job(owner, FakeClassifier(result=fake_result(is_bird=False)))
    page = owner_client.get(reverse("photos:job-status", args=[job.pk])).json()
    api = owner_api.get(reverse("api:classification-detail", args=[job.pk])).json()
    assert page["verdict"] == api["verdict"] == "no_bird"
    assert page["answer"] is None and api["answer"] is None  # the page said "American Goldfinch" before
    assert [b["answer"] for b in page["birds"]] == [None]
    assert page["predictions"][0]["label"] == "amegfi"  # what the model said is still shown as such


def test_a_second_look_that_is_no_bird_has_no_answer_of_its_own(owner, owner_client) -> None:
    job = finished_job(owner, FakeClassifier(result=fake_two_birds(second_is_bird=False)))
    birds = owner_client.get(reverse("photos:job-status", args=[job.pk])).json()["birds"]
    assert birds[0]["answer"]["kind"] == "species" and birds[1]["answer"] is None


def test_the_api_names_each_birds_own_sighting_as_the_page_does(owner, owner_client, owner_api) -> None:
    job = finished_job(owner, FakeClassifier(result=fake_two_birds()))
    api = owner_api.get(reverse("api:classification-detail", args=[job.pk])).json()
    page = owner_client.get(reverse("photos:job-status", args=[job.pk])).json()
    assert [b["sighting"] for b in api["birds"]] == [b["sighting"] for b in page["birds"]]
    assert None not in [b["sighting"] for b in api["birds"]]
