"""Every bird of a photo has its own sighting, reachable from the page and the API (issue 24, item 5)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from birdsite.sightings.models import Sighting
from tests.fakes import FakeClassifier, fake_result, fake_two_birds
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db


def test_each_of_two_birds_links_to_its_own_sighting_on_the_page(owner, owner_client) -> None:
    job = finished_job(owner, FakeClassifier(result=fake_two_birds()))
    page = owner_client.get(reverse("photos:job-status", args=[job.pk])).json()
    mine = {s.bird: s.pk for s in Sighting.objects.filter(job=job)}
    assert page["sighting_urls"] == {
        "0": reverse("sightings:detail", args=[mine[0]]),
        "1": reverse("sightings:detail", args=[mine[1]]),
    }
    assert [b["sighting"] for b in page["birds"]] == [mine[0], mine[1]]


def test_a_look_that_is_no_bird_and_a_photo_without_one_have_no_sighting(owner, owner_client) -> None:
    two = finished_job(owner, FakeClassifier(result=fake_two_birds(second_is_bird=False)))
    page = owner_client.get(reverse("photos:job-status", args=[two.pk])).json()
    assert [b["sighting"] is None for b in page["birds"]] == [False, True] and list(
        page["sighting_urls"]
    ) == ["0"]
    none = finished_job(owner, FakeClassifier(result=fake_result(is_bird=False)))
    page = owner_client.get(reverse("photos:job-status", args=[none.pk])).json()
    assert page["sighting_urls"] == {} and page["name_url"]
