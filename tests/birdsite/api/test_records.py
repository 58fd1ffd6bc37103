"""Batches, the life list and exports: thin endpoints over the batches and sightings apps."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from birdsite.batches.models import Batch
from birdsite.sightings import services as sighting_services
from tests.fakes import jpeg_bytes
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db
BATCHES_URL = reverse("api:batch-list")


def photo(name: str, color: tuple[int, int, int]) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(color=color), content_type="image/jpeg")


def zip_of(files: dict[str, bytes]) -> SimpleUploadedFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return SimpleUploadedFile("birds.zip", out.getvalue(), content_type="application/zip")


def test_repeated_images_make_a_batch_with_per_file_outcomes(owner_api, owner, queued) -> None:
    files = [photo("a.jpg", (200, 10, 10)), photo("b.jpg", (10, 200, 10)), photo("c.txt", (0, 0, 0))]
    files[2] = SimpleUploadedFile("c.txt", b"not a photo", content_type="text/plain")
    response = owner_api.post(BATCHES_URL, {"images": files, "name": "garden"}, format="multipart")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert response["Location"] == body["url"]
    batch = Batch.objects.get(pk=body["id"])
    assert batch.owner == owner and batch.name == "garden"
    detail = owner_api.get(body["url"]).json()
    assert detail["total"] == 3 and detail["refused"] == 1
    outcomes = {item["name"]: item for item in detail["items"]}
    assert outcomes["c.txt"]["outcome"] == "refused" and outcomes["c.txt"]["code"] == "not_an_image"
    assert outcomes["a.jpg"]["outcome"] == "queued" and outcomes["a.jpg"]["classification"]


def test_one_zip_makes_a_batch_and_a_bad_zip_is_refused_with_a_code(owner_api, queued) -> None:
    archive = zip_of({"one.jpg": jpeg_bytes(color=(1, 2, 3)), "two.jpg": jpeg_bytes(color=(9, 8, 7))})
    response = owner_api.post(BATCHES_URL, {"archive": archive}, format="multipart")
    assert response.status_code == 202
    assert owner_api.get(response.json()["url"]).json()["received"] == 2
    bad = SimpleUploadedFile("birds.zip", b"PK not really", content_type="application/zip")
    response = owner_api.post(BATCHES_URL, {"archive": bad}, format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "archive_refused"


def test_a_batch_needs_images_or_an_archive_but_not_both(owner_api, queued) -> None:
    assert owner_api.post(BATCHES_URL, {}, format="multipart").json()["code"] == "invalid"
    both = {"images": [photo("a.jpg", (1, 1, 1))], "archive": zip_of({"b.jpg": jpeg_bytes()})}
    assert owner_api.post(BATCHES_URL, both, format="multipart").status_code == 400


def test_batches_list_cancel_and_stay_private(owner_api, stranger_api, queued) -> None:
    created = owner_api.post(BATCHES_URL, {"images": [photo("a.jpg", (5, 5, 5))]}, format="multipart")
    batch_id = created.json()["id"]
    assert owner_api.get(BATCHES_URL).json()["count"] == 1
    assert stranger_api.get(BATCHES_URL).json()["count"] == 0
    detail = reverse("api:batch-detail", args=[batch_id])
    cancel = reverse("api:batch-cancel", args=[batch_id])
    assert stranger_api.get(detail).status_code == 404
    assert stranger_api.post(cancel).status_code == 404
    assert Batch.objects.get(pk=batch_id).status == "running"
    assert owner_api.post(cancel).json()["status"] == "cancelled"


def test_batch_uploads_share_the_upload_throttle(owner_api, queued, settings) -> None:
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "upload_user": "1/minute"}
    assert owner_api.post(
        BATCHES_URL, {"images": [photo("a.jpg", (1, 1, 1))]}, format="multipart"
    ).status_code
    response = owner_api.post(BATCHES_URL, {"images": [photo("b.jpg", (2, 2, 2))]}, format="multipart")
    assert response.status_code == 429 and response["Retry-After"]


def test_the_life_list_counts_confirmed_species_once(owner_api, stranger_api, owner) -> None:
    for _ in range(2):
        sighting_services.sighting_update(sighting=finished_job(owner).sighting, confirmed=True)
    finished_job(owner)  # unconfirmed: not on the list
    body = owner_api.get(reverse("api:lifelist")).json()
    assert body["total"] == 1 and body["entries"][0]["species_key"] == "amegfi"
    assert body["entries"][0]["count"] == 2 and body["years"][0]["species"] == 1
    assert owner_api.get(reverse("api:lifelist"), {"year": 1999}).json()["total"] == 0
    assert stranger_api.get(reverse("api:lifelist")).json()["total"] == 0


def test_exports_stream_the_owners_sightings_only(owner_api, stranger_api, owner) -> None:
    sighting_services.sighting_update(sighting=finished_job(owner).sighting, confirmed=True)
    response = owner_api.get(reverse("api:export-csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("id,date,time,common_name") and "American Goldfinch" in lines[1]
    ebird = b"".join(owner_api.get(reverse("api:export-ebird")).streaming_content).decode()
    assert ebird.startswith("American Goldfinch,Spinus,tristis,1,")
    stranger = b"".join(stranger_api.get(reverse("api:export-csv")).streaming_content).decode()
    assert len(stranger.splitlines()) == 1  # the header only


def test_an_export_error_is_json_even_when_csv_is_asked_for(owner_api, anon_api) -> None:
    response = owner_api.get(reverse("api:export-csv"), {"date_from": "yesterday"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert anon_api.get(reverse("api:export-ebird"), HTTP_ACCEPT="text/csv").status_code == 401
