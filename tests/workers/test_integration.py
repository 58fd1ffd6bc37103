"""A real Celery worker process, real Redis and PostgreSQL (and, where marked, the real model)."""

from __future__ import annotations

import json
import statistics
import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.files.uploadedfile import SimpleUploadedFile

from birdsite.classification import services
from birdsite.photos import push
from birdsite.photos.models import ClassificationJob
from birdsite.sightings.models import Sighting
from tests.fakes import jpeg_bytes
from tests.live import ARTIFACTS, shared_photo
from workers.tasks import classify

Status = ClassificationJob.Status
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_finished(job_id: int, timeout: float = 300) -> ClassificationJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ClassificationJob.objects.get(pk=job_id)
        if job.is_finished:
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} still {job.status} after {timeout}s")


def upload(owner, data: bytes, name: str = "bird.jpg") -> ClassificationJob:
    return services.classification_submit(owner=owner, upload=SimpleUploadedFile(name, data, "image/jpeg"))


class Listener:
    """Joins the owner's Channels group over Redis, as the page's socket does."""

    def __init__(self, user_id: int) -> None:
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(push.user_group(user_id), self.channel)

    def until_finished(self, job_id: int, timeout: float = 60) -> dict:
        async def receive() -> dict:
            import asyncio

            while True:
                message = await asyncio.wait_for(self.layer.receive(self.channel), timeout)
                job = message["job"]
                if job["id"] == job_id and job["status"] in ("succeeded", "failed"):
                    return job

        return async_to_sync(receive)()


def test_a_worker_process_takes_the_job_from_redis_and_pushes_the_result(owner, fake_worker) -> None:
    listener = Listener(owner.pk)
    job = wait_finished(upload(owner, jpeg_bytes()).pk, timeout=60)
    assert job.status == Status.SUCCEEDED and job.model_version == "fake-1"
    assert job.predictions.count() == 5 and Sighting.objects.filter(job=job).exists()
    pushed = listener.until_finished(job.pk)
    assert pushed["verdict"] == "sure" and pushed["predictions"][0]["common_name"] == "American Goldfinch"


def test_the_same_task_delivered_twice_stores_one_result(owner, fake_worker) -> None:
    first = upload(owner, jpeg_bytes())
    classify.delay(first.pk)  # a duplicate delivery of the same id, queued behind the first
    wait_finished(first.pk, timeout=60)
    # The test worker takes one task at a time, in order (solo pool, prefetch 1): once an upload queued
    # after the duplicate is finished, the duplicate has been handled too. Only then read the row.
    wait_finished(upload(owner, jpeg_bytes(color=(20, 90, 160))).pk, timeout=60)
    job = ClassificationJob.objects.get(pk=first.pk)
    assert job.status == Status.SUCCEEDED and job.attempts == 1
    assert job.predictions.count() == 5 and Sighting.objects.filter(job=job).count() == 1


@pytest.mark.model
@pytest.mark.shared
def test_the_real_model_names_a_real_goldfinch_and_the_page_is_told(owner, real_worker) -> None:
    listener = Listener(owner.pk)
    started = time.monotonic()
    job = wait_finished(upload(owner, shared_photo("American_Goldfinch", 1).read_bytes()).pk)
    elapsed = time.monotonic() - started
    assert job.status == Status.SUCCEEDED, job.error
    assert job.model_version == real_worker.info["model_version"]
    assert job.is_bird is True
    predictions = list(job.predictions.order_by("rank"))
    assert len(predictions) == 5 and all(p.model_version == job.model_version for p in predictions)
    assert predictions[0].confidence >= predictions[-1].confidence
    assert "American Goldfinch" in [p.common_name for p in predictions]
    assert predictions[0].wikipedia_url.startswith("https://en.wikipedia.org/wiki/")
    pushed = listener.until_finished(job.pk)
    assert pushed["model_version"] == job.model_version
    assert Sighting.objects.get(job=job).species_key == predictions[0].label
    print(f"first upload-to-result: {elapsed:.3f}s")


@pytest.mark.model
@pytest.mark.shared
def test_upload_to_result_time_with_a_warm_worker_is_measured(owner, real_worker) -> None:
    species = ["Blue_Jay", "Green_Jay", "Barn_Swallow", "Belted_Kingfisher", "Baltimore_Oriole"]
    photos = [shared_photo(name, 2).read_bytes() for name in species if (shared_photo(name, 2))]
    wait_finished(upload(owner, photos[0]).pk)  # warm-up
    seconds = []
    for data in photos:
        started = time.monotonic()
        job = wait_finished(upload(owner, data).pk)
        seconds.append(time.monotonic() - started)
        assert job.status == Status.SUCCEEDED, job.error
    ARTIFACTS.mkdir(exist_ok=True)
    report = {"runs": len(seconds), "median_s": statistics.median(seconds), "seconds": seconds}
    (ARTIFACTS / "upload_to_result.json").write_text(json.dumps(report, indent=2))
    print(f"upload-to-result median {report['median_s'] * 1000:.0f} ms over {len(seconds)} photos")


@pytest.mark.model
def test_a_photo_damaged_after_upload_fails_at_once_with_a_readable_reason(owner, real_worker) -> None:
    photo = services.photo_create(owner=owner, data=jpeg_bytes((300, 200)), filename="bird.jpg")
    with photo.image.open("wb") as fh:
        fh.write(b"\xff\xd8\xff\xe0 this used to be a JPEG")
    job = ClassificationJob.objects.create(owner=owner, photo=photo)
    started = time.monotonic()
    classify.delay(job.pk)
    job = wait_finished(job.pk, timeout=120)
    assert job.status == Status.FAILED
    assert job.error.startswith("This file could not be read as an image")
    assert time.monotonic() - started < 60 and job.attempts == 1
