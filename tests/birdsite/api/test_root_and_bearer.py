"""The API starts at ``/api/v1/`` (resources, docs, schema); ``Bearer`` tokens work like ``Token`` ones."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.birdsite.api.conftest import token_client

pytestmark = pytest.mark.django_db
ROOT = "/api/v1/"
ME_URL = reverse("api:classification-list")


def test_the_api_root_lists_its_resources_and_links_its_docs(anon_api) -> None:
    response = anon_api.get(ROOT)
    assert response.status_code == 200
    body = response.json()
    assert body["docs"].endswith("/api/v1/docs/") and body["schema"].endswith("/api/v1/schema/")
    assert {"classifications", "sightings", "species", "batches", "lifelist", "token"} <= set(
        body["resources"]
    )
    assert body["resources"]["sightings"]["url"].endswith("/api/v1/sightings/")
    assert "review_queue" not in body["resources"]  # staff resources are listed to staff only
    for resource in body["resources"].values():  # every listed URL exists (a 404 would be JSON "not_found")
        assert anon_api.get(resource["url"]).status_code != 404, resource


def test_staff_see_the_staff_resources_in_the_root(staff_api) -> None:
    assert "review_queue" in staff_api.get(ROOT).json()["resources"]


def test_a_bearer_token_authenticates_like_a_token(owner) -> None:
    raw = token_client(owner).raw_token
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert bearer.get(ME_URL).status_code == 200
    lower = APIClient()
    lower.credentials(HTTP_AUTHORIZATION=f"bearer {raw}")
    assert lower.get(ME_URL).status_code == 200


def test_a_bad_bearer_token_is_refused_with_the_token_codes(anon_api) -> None:
    anon_api.credentials(HTTP_AUTHORIZATION="Bearer bst_not-a-real-one")
    response = anon_api.get(ME_URL)
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"
    anon_api.credentials(HTTP_AUTHORIZATION="Bearer")
    assert anon_api.get(ME_URL).json()["code"] == "invalid_token"


def test_the_api_names_confidence_in_words_and_the_rank(owner_api, owner) -> None:
    from tests.review.conftest import job_with

    job = job_with(owner, top_confidence=0.999)
    predictions = owner_api.get(reverse("api:classification-detail", args=[job.pk])).json()["predictions"]
    top, last = predictions[0], predictions[-1]
    assert top["confidence_text"] == "> 99 %".replace(" ", "\u00a0") and top["taxon_rank"] == "species"
    assert top["confidence_words"] == "almost certain" and top["low_confidence"] is False
    assert last["confidence_text"] == "< 1 %".replace(" ", "\u00a0") and last["low_confidence"] is True
