from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from birdsite.photos.models import Photo
from birdsite.sightings import selectors, services
from birdsite.sightings.models import Sighting
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def sighting(owner) -> Sighting:
    return Sighting.objects.get(job=finished_job(owner))


def test_picking_another_species_from_the_top_five_renames_and_confirms(sighting) -> None:
    services.sighting_update(sighting=sighting, species_key="houfin")
    sighting.refresh_from_db()
    assert (sighting.species_key, sighting.common_name, sighting.scientific_name) == (
        "houfin",
        "House Finch",
        "Haemorhous mexicanus",
    )
    assert sighting.confirmed is True


def test_a_species_from_the_catalog_search_can_be_chosen(sighting) -> None:
    services.sighting_update(sighting=sighting, species_key="blujay")
    assert Sighting.objects.get(pk=sighting.pk).common_name == "Blue Jay"


def test_an_unknown_species_key_is_refused_and_nothing_changes(sighting) -> None:
    with pytest.raises(services.UnknownSpecies):
        services.sighting_update(sighting=sighting, species_key="dodo")
    assert Sighting.objects.get(pk=sighting.pk).species_key == "amegfi"


def test_a_label_the_catalog_lost_is_still_named_from_the_predictions(sighting, fake_catalog) -> None:
    del fake_catalog._by_key["pingro"]
    services.sighting_update(sighting=sighting, species_key="pingro")
    assert Sighting.objects.get(pk=sighting.pk).common_name == "Pine Grosbeak"


def test_notes_alone_keep_the_species_and_confirmation(sighting) -> None:
    services.sighting_update(sighting=sighting, notes="  at the feeder  ")
    sighting.refresh_from_db()
    assert (sighting.notes, sighting.species_key, sighting.confirmed) == ("at the feeder", "amegfi", False)


def test_an_empty_species_means_no_bird(sighting) -> None:
    services.sighting_update(sighting=sighting, species_key="")
    sighting.refresh_from_db()
    assert (sighting.species_key, sighting.common_name, sighting.confirmed) == ("", "", True)


def test_deleting_a_sighting_deletes_its_photo(sighting) -> None:
    services.sighting_delete(sighting=sighting)
    assert not Photo.objects.exists() and not Sighting.objects.exists()


def test_history_filters_by_species_and_date_and_only_shows_the_owners(owner, stranger) -> None:
    mine = [Sighting.objects.get(job=finished_job(owner)) for _ in range(3)]
    Sighting.objects.get(job=finished_job(stranger))
    services.sighting_update(sighting=mine[0], species_key="blujay")
    old = timezone.now() - dt.timedelta(days=30)
    Sighting.objects.filter(pk=mine[1].pk).update(observed_at=old)
    assert selectors.sightings_for(user=owner).count() == 3
    assert list(selectors.sightings_for(user=owner, species_key="blujay")) == [mine[0]]
    recent = selectors.sightings_for(user=owner, date_from=(timezone.now() - dt.timedelta(days=1)).date())
    assert set(recent) == {mine[0], mine[2]}
    assert list(selectors.sightings_for(user=owner, date_to=old.date())) == [mine[1]]
    counts = {c.species_key: c.count for c in selectors.species_counts_for(user=owner)}
    assert counts == {"amegfi": 2, "blujay": 1}


def test_pages_still_name_species_when_the_catalog_cannot_be_loaded(
    owner_client, sighting, monkeypatch
) -> None:
    def missing():
        raise FileNotFoundError("classifier/models/DEFAULT")

    monkeypatch.setattr("birdsite.sightings.catalog.get_catalog", missing)
    assert owner_client.get(f"/sightings/{sighting.pk}/").status_code == 200
    assert owner_client.get("/species/amegfi/").status_code == 200
    assert owner_client.get("/species/search.json", {"q": "finch"}).json() == {"results": []}
    services.sighting_update(sighting=sighting, species_key="houfin")  # named from the predictions
    assert Sighting.objects.get(pk=sighting.pk).common_name == "House Finch"
