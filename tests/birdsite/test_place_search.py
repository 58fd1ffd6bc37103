"""A photo without GPS gets its place by a town's name, offline (issue 24, item 3)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from birdsite.sightings.local import place_search

pytestmark = pytest.mark.django_db


def test_a_town_is_found_by_the_start_of_its_name_the_largest_first() -> None:
    found = place_search("berl")
    assert found[0].name == "Berlin, Germany"
    assert found[0].latitude == pytest.approx(52.52, abs=0.05) and found[0].longitude == pytest.approx(
        13.4, abs=0.1
    )


def test_accents_and_case_do_not_matter() -> None:
    assert place_search("zurich")[0].name == place_search("Zürich")[0].name == "Zürich, Switzerland"


def test_one_letter_finds_nothing() -> None:
    assert place_search("b") == []


def test_the_search_is_for_signed_in_users_and_answers_json(owner_client) -> None:
    from django.test import Client

    url = reverse("sightings:place-search")
    results = owner_client.get(url, {"q": "Berlin"}).json()["results"]
    assert results[0] == {
        "name": "Berlin, Germany",
        "latitude": pytest.approx(52.52, abs=0.05),
        "longitude": pytest.approx(13.4, abs=0.1),
    }
    assert Client().get(url, {"q": "Berlin"}).status_code == 302  # signed out: to the login page
