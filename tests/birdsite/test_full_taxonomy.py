"""Sightings can be named from the whole eBird/Clements taxonomy, not only from the model's classes."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from birdsite.sightings import catalog, exports, services
from birdsite.sightings.catalog import get_catalog as real_catalog
from birdsite.sightings.lifelist import lifelist_for
from birdsite.sightings.models import Sighting
from tests.fakes import FakeClassifier, jpeg_bytes
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_catalog(monkeypatch):
    """The real catalog the site names from, in place of the small fake the unit tests share."""
    monkeypatch.setattr("birdsite.sightings.catalog.get_catalog", real_catalog)
    return real_catalog()


def test_the_naming_catalog_holds_every_ebird_species_and_the_model_s_classes(full_catalog) -> None:
    assert len(full_catalog) > 11_000
    assert set(catalog.model_catalog().keys()) <= set(full_catalog.keys())
    assert catalog.species_get("amecro").common_name == "American Crow"
    assert [s.key for s in catalog.species_search("Eurasian Blackbird")][:1] == ["eurbla"]
    assert [s.key for s in catalog.species_search("canada goo")][:1] == ["cangoo"]


def test_the_species_named_in_the_issue_are_outside_or_inside_the_shipped_model_as_the_test_expects() -> None:
    # American Crow joined the model with cub_originals (2026.12.02); Eurasian Blackbird and Canada Goose
    # with the iNat backbone's own species (2026.12.07); Common Nightingale is in neither.
    model = catalog.model_catalog()
    assert "amecro" in model and "eurbla" in model and "cangoo" in model
    assert "comnig1" not in model


@pytest.mark.parametrize(
    ("key", "name"),
    [("amecro", "American Crow"), ("eurbla", "Eurasian Blackbird"), ("comnig1", "Common Nightingale")],
)
def test_any_ebird_species_can_be_chosen_listed_and_exported_in_or_outside_the_model(
    owner, full_catalog, key, name
) -> None:
    job = finished_job(owner, FakeClassifier(), data=jpeg_bytes((32, 24), (3, 10, 200)))
    sighting = Sighting.objects.get(job=job)
    sighting.observed_at = dt.datetime(2025, 4, 2, 8, tzinfo=dt.UTC)
    sighting.save()
    services.sighting_update(sighting=sighting, species_key=key)
    saved = Sighting.objects.get(pk=sighting.pk)
    assert (saved.species_key, saved.common_name, saved.confirmed) == (key, name, True)
    assert [e.species_key for e in lifelist_for(owner).entries] == [key]
    rows = list(csv.DictReader(io.StringIO("".join(exports.sightings_csv(owner)))))
    assert [r["species_key"] for r in rows] == [key]
    assert name in "".join(exports.sightings_ebird_csv(owner))
