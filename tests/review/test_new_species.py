"""Issue 17: a user naming a photo with a species outside the model's classes sends it to the review
queue flagged "new species"; the registry counts the photos each such species has collected."""

from __future__ import annotations

import pytest
from django.urls import reverse

from birdsite.registry import selectors as registry_selectors
from birdsite.review import selectors, services
from birdsite.sightings import services as sighting_services
from birdsite.sightings.models import Sighting
from tests.fakes import SPECIES
from tests.review.conftest import job_with

pytestmark = pytest.mark.django_db
MODEL_KNOWS = [key for key, _, _ in SPECIES[:5]]  # norcar and blujay are in the taxonomy, not the model


class ModelCatalog:
    def keys(self) -> list[str]:
        return list(MODEL_KNOWS)


@pytest.fixture(autouse=True)
def served_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("birdsite.sightings.catalog.model_catalog", ModelCatalog)


def named(owner, species_key: str, **options):
    """A finished job whose owner then named its sighting ``species_key`` (as the sighting page does)."""
    job = job_with(owner, **options)
    sighting_services.sighting_update(sighting=Sighting.objects.get(job=job), species_key=species_key)
    return job


def new_species_queue(staff) -> list[int]:
    return list(
        selectors.review_queue(reviewer=staff, filters=selectors.QueueFilters(new_species=True)).values_list(
            "pk", flat=True
        )
    )


def test_the_new_species_filter_lists_user_named_photos_of_species_outside_the_model(owner, staff) -> None:
    cardinal = named(owner, "norcar", top_confidence=0.5)
    jay = named(owner, "blujay", top_confidence=0.3)
    named(owner, "houfin")  # another species the model knows: disputed, not new
    job_with(owner)  # left as the model named it
    assert new_species_queue(staff) == [jay.pk, cardinal.pk]  # least confident first, as the whole queue
    assert len(list(selectors.review_queue(reviewer=staff))) == 4


def test_a_new_species_leaves_the_filter_once_reviewed(owner, staff) -> None:
    job = named(owner, "norcar")
    services.review_decide(job=job, reviewer=staff, verdict="corrected", label="norcar")
    assert new_species_queue(staff) == []


def test_without_a_model_catalog_nothing_is_called_new(owner, staff, monkeypatch) -> None:
    named(owner, "norcar")

    def missing():
        raise OSError("no catalog.json")

    monkeypatch.setattr("birdsite.sightings.catalog.model_catalog", missing)
    assert new_species_queue(staff) == []
    assert registry_selectors.new_species_counts() == []


def test_naming_it_on_the_sighting_page_flags_it_in_the_review_queue(owner, client, staff) -> None:
    job = job_with(owner)
    sighting = Sighting.objects.get(job=job)
    client.force_login(owner)
    response = client.post(
        reverse("sightings:detail", args=[sighting.pk]), {"species_key": "norcar", "action": "confirm"}
    )
    assert response.status_code == 302
    client.force_login(staff)
    page = client.get(reverse("review:queue"), {"new_species": "1"}).content.decode()
    assert f'data-job-id="{job.pk}"' in page
    assert "data-new-species" in page and "Northern Cardinal" in page
    assert 'name="new_species" value="1" checked' in page
    assert "data-accept-user-choice" in page  # one click labels it with the owner's species
    unfiltered = client.get(reverse("review:queue"), {"job": job.pk}).content.decode()
    assert "data-new-species" in unfiltered  # flagged in the plain queue too


def test_a_photo_the_model_knows_is_not_flagged(owner, client, staff) -> None:
    job = named(owner, "houfin")
    client.force_login(staff)
    page = client.get(reverse("review:queue"), {"job": job.pk}).content.decode()
    assert f'data-job-id="{job.pk}"' in page and "data-new-species" not in page
    assert (
        f'data-job-id="{job.pk}"'
        not in client.get(reverse("review:queue"), {"new_species": "1"}).content.decode()
    )


def test_the_staff_api_filters_and_flags_new_species(owner, staff) -> None:
    from tests.birdsite.api.conftest import token_client

    cardinal = named(owner, "norcar")
    known = named(owner, "houfin")
    api = token_client(staff)
    body = api.get(reverse("api:staff-review-queue"), {"new_species": "true"}).json()
    assert [item["id"] for item in body["results"]] == [cardinal.pk]
    assert body["results"][0]["new_species"] is True
    everything = {
        i["id"]: i["new_species"] for i in api.get(reverse("api:staff-review-queue")).json()["results"]
    }
    assert everything == {cardinal.pk: True, known.pk: False}


def test_the_registry_counts_the_photos_each_new_species_has_collected(owner, staff, client) -> None:
    named(owner, "norcar")
    reviewed = named(owner, "norcar")
    services.review_decide(job=reviewed, reviewer=staff, verdict="corrected", label="norcar")
    overruled = named(owner, "blujay")  # a reviewer says it is a goldfinch the model knows after all
    services.review_decide(job=overruled, reviewer=staff, verdict="accepted")
    labelled = job_with(owner)  # the owner kept the model's name; a reviewer labelled it a jay
    services.review_decide(job=labelled, reviewer=staff, verdict="corrected", label="blujay")
    named(owner, "houfin")
    counts = registry_selectors.new_species_counts()
    assert [(n.species_key, n.common_name, n.photos, n.reviewed) for n in counts] == [
        ("norcar", "Northern Cardinal", 2, 1),
        ("blujay", "Blue Jay", 1, 1),
    ]
    client.force_login(staff)
    page = client.get(reverse("registry:list")).content.decode()
    assert 'data-new-species-key="norcar"' in page and 'data-new-species-key="blujay"' in page
    assert 'data-new-species-key="houfin"' not in page


def test_the_registry_api_reports_the_photos_of_each_new_species_to_staff_only(owner, staff) -> None:
    from tests.birdsite.api.conftest import token_client

    named(owner, "norcar")
    named(owner, "norcar")
    url = reverse("api:staff-model-new-species")
    assert token_client(owner).get(url).status_code == 403
    body = token_client(staff).get(url).json()
    assert body == [
        {
            "species_key": "norcar",
            "common_name": "Northern Cardinal",
            "scientific_name": "Cardinalis cardinalis",
            "photos": 2,
            "reviewed": 0,
        }
    ]
