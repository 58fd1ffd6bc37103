from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
SEARCH_URL = reverse("api:species-search")


def test_the_catalog_is_searched_by_common_or_scientific_name(owner_api) -> None:
    by_common = owner_api.get(SEARCH_URL, {"q": "grosbeak"}).json()
    assert {s["key"] for s in by_common} == {"pingro", "eveg"}
    by_scientific = owner_api.get(SEARCH_URL, {"q": "Cardinalis"}).json()
    assert by_scientific == [
        {
            "key": "norcar",
            "common_name": "Northern Cardinal",
            "scientific_name": "Cardinalis cardinalis",
            "ebird_code": "norcar",
            "wikipedia_url": "https://en.wikipedia.org/wiki/Cardinalis_cardinalis",
        }
    ]
    assert len(owner_api.get(SEARCH_URL, {"q": "n", "limit": 2}).json()) == 2


def test_a_search_needs_a_query(owner_api) -> None:
    response = owner_api.get(SEARCH_URL)
    assert response.status_code == 400 and "q" in response.json()["details"]


def test_one_species_by_key_or_404(owner_api) -> None:
    assert owner_api.get(reverse("api:species-detail", args=["blujay"])).json()["common_name"] == "Blue Jay"
    response = owner_api.get(reverse("api:species-detail", args=["dodo"]))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_catalog_needs_a_login_too(anon_api) -> None:
    assert anon_api.get(SEARCH_URL, {"q": "jay"}).status_code == 401
