"""Issue 17 on the pages: the result page's data, the batch table and the sighting page say "a species
the model may not know" with the closest known taxa, and a genus/family answer names that taxon."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from birdsite.batches.presentation import items_for_page
from birdsite.sightings.models import Sighting
from tests.answers import UNKNOWN_TEXT, result_with
from tests.fakes import FakeClassifier
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db


def payload_of(page: str) -> dict:
    found = re.search(r'<script id="job-payload" type="application/json">(.*?)</script>', page, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_the_job_page_carries_the_unknown_answer_for_its_script(owner_client, owner) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("unknown")))
    page = owner_client.get(reverse("photos:job", args=[job.pk])).content.decode()
    answer = payload_of(page)["answer"]
    assert (answer["kind"], answer["common_name"]) == ("unknown", UNKNOWN_TEXT)
    assert [c["common_name"] for c in answer["closest"]] == [
        "American Goldfinch",
        "House Finch",
        "Pine Grosbeak",
    ]
    status = owner_client.get(reverse("photos:job-status", args=[job.pk])).json()
    assert status["answer"] == answer and status["birds"][0]["answer"] == answer


def test_the_sighting_page_says_it_may_be_a_species_the_model_does_not_know(owner_client, owner) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("unknown")))
    sighting = Sighting.objects.get(job=job)
    page = owner_client.get(reverse("sightings:detail", args=[sighting.pk])).content.decode()
    assert "<h1 data-sighting-name>A species the model may not know</h1>" in page
    assert 'data-answer-kind="unknown"' in page
    closest = page[page.index('data-answer-kind="unknown"') :]
    assert all(name in closest for name in ("American Goldfinch", "House Finch", "Pine Grosbeak"))
    assert "Name it: search every species" in page
    assert "Not named yet" in page and "the model's guess" not in page  # no species was guessed


def test_once_named_the_sighting_page_shows_the_users_species_beside_the_models_doubt(
    owner_client, owner
) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("unknown")))
    sighting = Sighting.objects.get(job=job)
    url = reverse("sightings:detail", args=[sighting.pk])
    assert owner_client.post(url, {"species_key": "norcar", "action": "confirm"}).status_code == 302
    page = owner_client.get(url).content.decode()
    assert "<h1 data-sighting-name>Northern Cardinal</h1>" in page and 'data-answer-kind="unknown"' in page


def test_the_sighting_page_names_the_genus_of_a_higher_taxon_answer(owner_client, owner) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("higher_taxon", top_confidence=0.4)))
    sighting = Sighting.objects.get(job=job)
    page = owner_client.get(reverse("sightings:detail", args=[sighting.pk])).content.decode()
    said = page[page.index('data-answer-kind="higher_taxon"') :]
    assert (
        "Goldfinches and siskins" in said[:300]
        and "<em>Spinus</em>" in said[:300]
        and "a genus" in said[:300]
    )


def test_the_sighting_page_of_a_known_species_shows_no_doubt(owner_client, owner) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("species")))
    sighting = Sighting.objects.get(job=job)
    page = owner_client.get(reverse("sightings:detail", args=[sighting.pk])).content.decode()
    assert "data-answer-kind" not in page and "<h1 data-sighting-name>American Goldfinch</h1>" in page


def batch_row(job, species: str = "") -> dict:
    """``batch_items``' row of ``job``; ``species``: the owner named its sighting so since."""
    if species:
        Sighting.objects.filter(job=job).update(common_name=species)
    return {"job_id": job.pk, "outcome": "succeeded", "species": species, "code": "", "reason": ""}


def test_the_batch_table_says_unknown_with_the_closest_known_taxa(owner) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("unknown")))
    [row] = items_for_page([batch_row(job)])
    assert (row["answer_kind"], row["species"]) == ("unknown", "A species the model may not know")
    assert row["closest"] == "American Goldfinch, House Finch, Pine Grosbeak"
    assert "confidence_text" not in row  # no percentage that reads like a species' confidence
    [named] = items_for_page([batch_row(job, species="Northern Cardinal")])
    assert named["species"] == "Northern Cardinal"  # what the user named it since


def test_the_batch_table_names_a_genus_answer_with_its_rank(owner) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("higher_taxon", top_confidence=0.4)))
    [row] = items_for_page([batch_row(job, species="American Goldfinch")])
    assert (row["species"], row["taxon_rank"], row["confidence_text"]) == (
        "Goldfinches and siskins",
        "genus",
        "82\u00a0%",
    )
    [named] = items_for_page([batch_row(job, species="Northern Cardinal")])
    assert (named["species"], named.get("answer_kind")) == ("Northern Cardinal", None)  # named since


def test_the_batch_table_of_a_known_species_is_unchanged(owner) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("species")))
    [row] = items_for_page([batch_row(job, species="American Goldfinch")])
    assert row["species"] == "American Goldfinch" and "answer_kind" not in row
    assert row["confidence_text"] == "91\u00a0%"
