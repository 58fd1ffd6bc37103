"""Species search ranks what a birder more likely means (issue 24, item 7): "robin" starts with the robins
the model knows, not alphabetically from Robin Accentor; banding codes find their species."""

from __future__ import annotations

import pytest
from django.urls import reverse

from birdsite.sightings import catalog
from tests.helpers import finished_job

pytestmark = [pytest.mark.django_db, pytest.mark.model]  # the real catalog: every eBird species


def names(results) -> list[str]:
    return [s.common_name for s in results]


def test_robin_starts_with_the_robins_the_model_knows() -> None:
    found = names(catalog.species_search("robin", limit=20))
    assert {"American Robin", "European Robin"} <= set(found[:5]), found
    assert found.index("European Robin") < found.index("Robin Accentor")


@pytest.mark.parametrize(
    ("code", "species"),
    [("amro", "American Robin"), ("noca", "Northern Cardinal"), ("bcch", "Black-capped Chickadee")],
)
def test_a_banding_code_finds_its_species_first(code, species) -> None:
    assert names(catalog.species_search(code, limit=5))[0] == species


def test_an_ebird_code_still_finds_its_species() -> None:
    assert names(catalog.species_search("amerob", limit=3))[0] == "American Robin"


def test_a_species_on_my_own_list_comes_before_others_the_model_does_not_know(owner) -> None:
    unknown_to_model = [
        s for s in catalog.species_search("antpitta", limit=40) if s.key not in catalog.model_keys()
    ]
    assert len(unknown_to_model) > 3
    last = unknown_to_model[-1]
    sighting = finished_job(owner).sighting
    sighting.species_key = last.key
    sighting.save()
    mine = names(catalog.species_search("antpitta", limit=40, user=owner))
    assert mine.index(last.common_name) < mine.index(unknown_to_model[0].common_name)


def test_the_page_search_answers_in_that_order(owner_client) -> None:
    results = owner_client.get(reverse("sightings:species-search"), {"q": "robin"}).json()["results"]
    assert {"American Robin", "European Robin"} <= {r["common_name"] for r in results[:5]}


@pytest.mark.parametrize(("query", "first_word"), [("crow", "Crow"), ("swan", "Swan")])
def test_a_word_of_a_name_comes_before_a_banding_code_that_spells_it(query, first_word) -> None:
    # CROW is Crested Owl's banding code and SWAN Spot-winged Antshrike's: a birder typing "crow" means crows.
    first = names(catalog.species_search(query, limit=5))[0]
    assert any(word.startswith(first_word) for word in first.split()), first
