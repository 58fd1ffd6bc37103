from __future__ import annotations

import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from birdsite.photos.models import ClassificationJob
from tests.fakes import FakeClassifier, fake_result, jpeg_bytes, png_bytes
from tests.helpers import finished_job, process, submit

pytestmark = pytest.mark.django_db
LIST_URL = reverse("api:classification-list")


def detail_url(job_id: int) -> str:
    return reverse("api:classification-detail", args=[job_id])


def image(data: bytes | None = None, name: str = "bird.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes() if data is None else data, content_type="image/jpeg")


def post(client, data: bytes | None = None, name: str = "bird.jpg"):
    return client.post(LIST_URL, {"image": image(data, name)}, format="multipart")


def test_an_upload_is_accepted_at_once_and_queued_after_commit(
    owner_api, owner, queued, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post(owner_api)
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"id", "status", "url"} and body["status"] == "pending"
    assert body["url"] == "http://testserver" + detail_url(body["id"]) == response["Location"]
    assert ClassificationJob.objects.get(pk=body["id"]).owner == owner
    assert queued == [body["id"]]


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"%PDF-1.4 not a photo", 415, "not_an_image"),
        (b"", 400, "empty"),
        (jpeg_bytes()[:200], 400, "corrupt"),
    ],
)
def test_a_bad_image_gets_its_status_and_stable_code(owner_api, queued, data, status, code) -> None:
    response = post(owner_api, data)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and body["message"]
    assert not ClassificationJob.objects.exists() and queued == []


def test_an_image_format_we_do_not_take_is_415(owner_api, queued) -> None:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (8, 8)).save(out, "TIFF")
    response = post(owner_api, out.getvalue(), "bird.tif")
    assert response.status_code == 415 and response.json()["code"] == "unsupported_format"


def test_too_many_bytes_or_pixels_is_413(owner_api, queued, settings) -> None:
    settings.UPLOAD_MAX_PIXELS = 100
    response = post(owner_api, png_bytes((20, 20)))
    assert response.status_code == 413 and response.json()["code"] == "too_many_pixels"
    settings.UPLOAD_MAX_BYTES = 300
    response = post(owner_api, jpeg_bytes((200, 200)))
    assert response.status_code == 413 and response.json()["code"] == "too_large"


def test_a_body_far_over_the_limit_is_refused_before_it_is_parsed(owner_api, settings) -> None:
    settings.UPLOAD_MAX_BYTES = 1000
    response = post(owner_api, b"x" * 200_000)
    assert response.status_code == 413 and response.json()["code"] == "too_large"


def test_a_missing_image_field_or_a_json_body_is_explained(owner_api) -> None:
    body = owner_api.post(LIST_URL, {}, format="multipart").json()
    assert body["code"] == "invalid" and body["details"]["image"][0]["code"] == "required"
    response = owner_api.post(LIST_URL, "image", content_type="text/plain")
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"


def test_a_finished_classification_has_the_documented_fields_best_first(owner_api, owner) -> None:
    job = finished_job(owner)
    body = owner_api.get(detail_url(job.pk)).json()
    assert body["status"] == "succeeded" and body["verdict"] == "sure"
    assert body["is_bird"] is True and body["bird_score"] == pytest.approx(0.97)
    assert body["model_version"] == "test-1" and body["error"] == ""
    assert body["sighting"] == job.sighting.pk and body["photo"] == job.photo_id
    assert body["created_at"] and body["started_at"] and body["finished_at"]
    top = body["predictions"][0]
    assert set(top) == {
        "rank", "label", "common_name", "scientific_name", "confidence", "wikipedia_url", "ebird_code",
        "learned_from", "confidence_text", "confidence_words", "low_confidence", "taxon_rank", "species_url",
    }  # fmt: skip
    assert body["region"] is None and [b["bird"] for b in body["birds"]] == [0]
    assert top["common_name"] == "American Goldfinch" and top["ebird_code"] == "amegfi"
    assert top["wikipedia_url"] == "https://en.wikipedia.org/wiki/Spinus_tristis"
    confidences = [p["confidence"] for p in body["predictions"]]
    assert confidences == sorted(confidences, reverse=True) and len(confidences) == 5


def test_a_failed_classification_says_why(owner_api, owner) -> None:
    job = finished_job(owner, FakeClassifier(error=RuntimeError("boom")))
    body = owner_api.get(detail_url(job.pk)).json()
    assert body["status"] == "failed" and body["predictions"] == []
    assert body["error"].startswith("The classifier failed")


def finish_later(job_id: int, delay: float) -> threading.Timer:
    """A stand-in worker in another thread (and so another DB connection)."""

    def finish() -> None:
        try:
            process([job_id])
        finally:
            connection.close()

    timer = threading.Timer(delay, finish)
    timer.start()
    return timer


@pytest.mark.django_db(transaction=True)
def test_wait_returns_as_soon_as_the_worker_finishes(owner_api, owner, queued) -> None:
    job = submit(owner)
    started = time.monotonic()
    finisher = finish_later(job.pk, 0.3)
    try:
        body = owner_api.get(detail_url(job.pk), {"wait": 10}).json()
    finally:
        finisher.join()
    assert body["status"] == "succeeded" and len(body["predictions"]) == 5
    assert time.monotonic() - started < 3


@pytest.fixture
def pending(owner) -> ClassificationJob:
    return submit(owner)


def test_wait_gives_up_at_the_configured_cap(owner_api, pending, settings) -> None:
    settings.API_WAIT_MAX_SECONDS = 1
    started = time.monotonic()
    body = owner_api.get(detail_url(pending.pk), {"wait": 600}).json()
    assert body["status"] == "pending" and 0.9 < time.monotonic() - started < 3


@pytest.mark.parametrize("wait", ["-1", "soon"])
def test_a_bad_wait_is_400(owner_api, pending, wait) -> None:
    response = owner_api.get(detail_url(pending.pk), {"wait": wait})
    assert response.status_code == 400 and "wait" in response.json()["details"]


def test_the_list_is_paginated_newest_first_without_a_query_per_job(
    owner_api, owner, stranger, settings, django_assert_max_num_queries
) -> None:
    settings.API_PAGE_SIZE = 2
    jobs = [finished_job(owner, FakeClassifier(result=fake_result(model_version=f"v{i}"))) for i in range(3)]
    finished_job(stranger)
    with django_assert_max_num_queries(7):  # one of them prefetches every job's open-set answers
        body = owner_api.get(LIST_URL).json()
    assert body["count"] == 3 and body["next"] and body["previous"] is None
    assert [j["id"] for j in body["results"]] == [jobs[2].pk, jobs[1].pk]
    assert all(len(j["predictions"]) == 5 for j in body["results"])
    second = owner_api.get(LIST_URL, {"page": 2}).json()
    assert [j["id"] for j in second["results"]] == [jobs[0].pk]
    assert owner_api.get(LIST_URL, {"page": 9}).status_code == 404


def test_a_stranger_never_sees_the_owners_classifications(owner, stranger_api, staff_api) -> None:
    job = finished_job(owner)
    for client in (stranger_api, staff_api):
        response = client.get(detail_url(job.pk))
        assert response.status_code == 404 and response.json() == {
            "code": "not_found",
            "message": "Not found.",
        }
        assert client.get(LIST_URL).json()["count"] == 0


def test_uploads_are_throttled_per_user_with_retry_after(owner_api, stranger_api, queued, settings) -> None:
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "upload_user": "2/minute"}
    assert [post(owner_api).status_code for _ in range(2)] == [202, 202]
    response = post(owner_api)
    # A sliding window: the wait can pass one period, never two.
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 120
    assert response.json()["code"] == "throttled" and response.json()["retry_after"] > 0
    assert "details" not in response.json()  # said once, not twice
    assert owner_api.get(LIST_URL).status_code == 200  # reading is not an upload
    assert post(stranger_api).status_code == 202  # another user has their own budget


def test_uploads_are_throttled_per_address_across_users(owner_api, stranger_api, queued, settings) -> None:
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "upload_ip": "2/minute"}
    assert post(owner_api).status_code == 202 and post(stranger_api).status_code == 202
    assert post(stranger_api).status_code == 429
    response = owner_api.post(LIST_URL, {"image": image()}, format="multipart", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 202  # another address has its own budget


def test_a_spoofed_forwarded_for_header_does_not_dodge_the_address_throttle(
    owner_api, stranger_api, queued, settings
) -> None:
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "upload_ip": "1/minute"}
    assert post(owner_api).status_code == 202
    response = stranger_api.post(
        LIST_URL, {"image": image()}, format="multipart", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert response.status_code == 429


def test_past_the_limit_of_waiting_requests_the_answer_comes_at_once(
    owner_api, pending, monkeypatch: pytest.MonkeyPatch
) -> None:
    from birdsite.api import base

    full = threading.BoundedSemaphore(1)
    full.acquire()
    monkeypatch.setattr(base, "_wait_slots", full)
    started = time.monotonic()
    body = owner_api.get(detail_url(pending.pk), {"wait": 5}).json()
    assert body["status"] == "pending" and time.monotonic() - started < 1
