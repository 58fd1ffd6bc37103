"""The batch pages and their JSON, owner-only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from birdsite.batches import services
from tests.batches.helpers import photo

pytestmark = pytest.mark.django_db


def jpeg(name: str, n: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, photo(n), "image/jpeg")


def test_the_page_creates_a_batch_then_adds_the_next_group(owner_client) -> None:
    response = owner_client.post(
        "/batches/",
        {"files": [jpeg("a.jpg", 1), jpeg("b.jpg", 2)], "expected": "3"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201
    created = response.json()
    assert (created["total"], created["received"], created["finished"]) == (3, 2, False)
    more = owner_client.post(
        created["files_url"], {"files": [jpeg("c.jpg", 3)]}, HTTP_ACCEPT="application/json"
    )
    assert more.status_code == 200 and more.json()["received"] == 3
    items = owner_client.get(created["items_url"]).json()["items"]
    assert [i["name"] for i in items] == ["a.jpg", "b.jpg", "c.jpg"]


def test_a_batch_page_shows_progress_and_files(owner_client, owner) -> None:
    batch = services.batch_create(user=owner, files=[("a.jpg", photo(1)), ("x.jpg", b"text")])
    page = owner_client.get(f"/batches/{batch.pk}/")
    assert page.status_code == 200
    assert b'id="batch-payload"' in page.content and b'data-outcome="refused"' in page.content
    assert owner_client.get("/batches/").status_code == 200


def test_a_stranger_gets_404_for_anything_of_anothers_batch(owner, stranger_client) -> None:
    batch = services.batch_create(user=owner, files=[("a.jpg", photo(1))])
    for url in (
        f"/batches/{batch.pk}/",
        f"/batches/{batch.pk}/status.json",
        f"/batches/{batch.pk}/items.json",
    ):
        assert stranger_client.get(url).status_code == 404
    assert stranger_client.post(f"/batches/{batch.pk}/cancel").status_code == 404
    assert (
        stranger_client.post(f"/batches/{batch.pk}/files", {"files": [jpeg("b.jpg", 2)]}).status_code == 404
    )


def test_the_owner_cancels_a_batch(owner_client, owner) -> None:
    batch = services.batch_create(user=owner, files=[("a.jpg", photo(1))])
    response = owner_client.post(f"/batches/{batch.pk}/cancel", HTTP_ACCEPT="application/json")
    assert response.json()["status"] == "cancelled" and response.json()["cancelled"] == 1


def test_an_empty_selection_is_refused(owner_client) -> None:
    response = owner_client.post("/batches/", {}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and response.json()["code"] == "empty"
