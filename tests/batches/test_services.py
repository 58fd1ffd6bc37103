"""Batch services and the chunk processing, called directly with real rows and a fake model."""

from __future__ import annotations

import pytest

import classifier
from birdsite.batches import processing, selectors, services
from birdsite.batches.models import Batch, BatchItem
from birdsite.photos.models import ClassificationJob
from birdsite.sightings.models import Sighting
from tests.batches.helpers import oversized_png, photo, truncated_jpeg
from tests.fakes import FakeClassifier

pytestmark = pytest.mark.django_db
Status = ClassificationJob.Status


def run_chunks(batch: Batch, fake: FakeClassifier | None = None) -> FakeClassifier:
    """What the worker does with the batch's jobs (its chunk tasks, called directly)."""
    fake = fake or FakeClassifier()
    job_ids = list(batch.items.filter(kind="job").order_by("position").values_list("job_id", flat=True))
    processing.jobs_process_chunk(
        job_ids=job_ids,
        get_classifier=lambda: fake,
        open_image=classifier.open_image,
        invalid_image=(classifier.InvalidImage,),
    )
    return fake


def outcomes(batch: Batch) -> dict[str, tuple[str, str]]:
    return {row["name"]: (row["outcome"], row["code"]) for row in selectors.batch_items(batch)}


def test_a_batch_classifies_each_image_once_and_refuses_the_rest_with_a_reason(owner) -> None:
    files = [
        ("a.jpg", photo(1)),
        ("b.jpg", photo(2)),
        ("notes.jpg", b"this is text, not a photo"),
        ("broken.jpg", truncated_jpeg()),
        ("a-again.jpg", photo(1)),
    ]
    batch = services.batch_create(user=owner, files=files)
    fake = run_chunks(batch)
    assert fake.calls == [2]  # one model call for the whole chunk
    assert outcomes(batch) == {
        "a.jpg": ("succeeded", ""),
        "b.jpg": ("succeeded", ""),
        "notes.jpg": ("refused", "not_an_image"),
        "broken.jpg": ("refused", "corrupt"),
        "a-again.jpg": ("duplicate", ""),
    }
    items = {i.name: i for i in batch.items.all()}
    assert items["a-again.jpg"].job_id == items["a.jpg"].job_id
    assert "not an image" in items["notes.jpg"].reason
    batch.refresh_from_db()
    assert batch.status == Batch.Status.FINISHED
    progress = selectors.batch_progress(batch)
    assert (progress["done"], progress["failed"], progress["total"], progress["percent"]) == (3, 2, 5, 100)


def test_a_photo_seen_in_an_earlier_batch_points_at_the_earlier_result(owner) -> None:
    first = services.batch_create(user=owner, files=[("x.jpg", photo(7))])
    run_chunks(first)
    second = services.batch_create(user=owner, files=[("x-copy.jpg", photo(7))])
    item = second.items.get()
    assert item.kind == BatchItem.Kind.DUPLICATE and item.job_id == first.items.get().job_id
    assert ClassificationJob.objects.count() == 1
    second.refresh_from_db()
    assert second.status == Batch.Status.FINISHED


def test_the_same_photo_of_another_user_is_not_a_duplicate(owner, stranger) -> None:
    services.batch_create(user=owner, files=[("x.jpg", photo(7))])
    theirs = services.batch_create(user=stranger, files=[("x.jpg", photo(7))])
    assert theirs.items.get().kind == BatchItem.Kind.JOB


def test_an_image_over_the_pixel_limit_is_refused_alone(owner) -> None:
    batch = services.batch_create(user=owner, files=[("huge.png", oversized_png()), ("ok.jpg", photo(3))])
    assert outcomes(batch)["huge.png"] == ("refused", "too_many_pixels")
    assert outcomes(batch)["ok.jpg"] == ("queued", "")


def test_a_photo_damaged_after_upload_fails_only_itself(owner) -> None:
    batch = services.batch_create(user=owner, files=[("a.jpg", photo(1)), ("b.jpg", photo(2))])
    damaged = batch.items.get(name="b.jpg").job.photo
    with damaged.image.open("wb") as fh:
        fh.write(b"\xff\xd8\xff\xe0 no longer a JPEG")
    fake = run_chunks(batch)
    assert fake.calls == [1]
    result = outcomes(batch)
    assert result["a.jpg"][0] == "succeeded" and result["b.jpg"][0] == "failed"
    assert batch.items.get(name="b.jpg").job.error.startswith("This file could not be read as an image")


def test_a_chunk_delivered_twice_stores_one_result_per_job(owner) -> None:
    batch = services.batch_create(user=owner, files=[("a.jpg", photo(1)), ("b.jpg", photo(2))])
    run_chunks(batch)
    again = run_chunks(batch)
    assert again.calls == []
    for item in batch.items.all():
        assert item.job.predictions.count() == 5 and Sighting.objects.filter(job=item.job).count() == 1


def test_a_job_held_by_another_delivery_is_retried_once_its_claim_is_stale(owner, settings) -> None:
    batch = services.batch_create(user=owner, files=[("a.jpg", photo(1))])
    job_id = batch.items.get().job_id
    from birdsite.photos.services import job_claim

    job_claim(job_id=job_id)
    outcome = processing.jobs_process_chunk(
        job_ids=[job_id], get_classifier=FakeClassifier, open_image=classifier.open_image
    )
    assert outcome.busy == [job_id] and 0 < outcome.retry_in <= settings.JOB_STALE_SECONDS + 1


def test_a_batch_does_not_finish_before_every_expected_file_arrived(owner) -> None:
    batch = services.batch_create(user=owner, files=[("a.jpg", photo(1))], expected=3)
    run_chunks(batch)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.RUNNING and selectors.batch_progress(batch)["total"] == 3
    services.batch_add_files(user=owner, batch_id=batch.pk, files=[("b.jpg", photo(2)), ("c.jpg", b"")])
    run_chunks(batch)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.FINISHED
    assert outcomes(batch)["c.jpg"] == ("refused", "empty")


def test_cancelling_a_batch_stops_the_jobs_not_started_yet(owner) -> None:
    batch = services.batch_create(user=owner, files=[("a.jpg", photo(1)), ("b.jpg", photo(2))])
    services.batch_cancel(user=owner, batch_id=batch.pk)
    fake = run_chunks(batch)
    assert fake.calls == []
    assert {o for o, _ in outcomes(batch).values()} == {"cancelled"}
    batch.refresh_from_db()
    assert batch.status == Batch.Status.CANCELLED
    with pytest.raises(services.BatchRefused):
        services.batch_add_files(user=owner, batch_id=batch.pk, files=[("c.jpg", photo(3))])


def test_another_user_cannot_cancel_or_add_to_a_batch(owner, stranger) -> None:
    batch = services.batch_create(user=owner, files=[("a.jpg", photo(1))])
    with pytest.raises(Batch.DoesNotExist):
        services.batch_cancel(user=stranger, batch_id=batch.pk)
    with pytest.raises(Batch.DoesNotExist):
        services.batch_add_files(user=stranger, batch_id=batch.pk, files=[("b.jpg", photo(2))])


def test_jobs_are_queued_in_chunks_of_the_configured_size(owner, settings, monkeypatch) -> None:
    sent: list[list[int]] = []
    monkeypatch.setattr("workers.batch_tasks.classify_chunk.delay", sent.append)
    settings.BATCH_CHUNK_SIZE = 4
    services.enqueue(list(range(1, 11)))
    assert sent == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]


def test_a_starting_worker_queues_the_unfinished_jobs_of_running_batches(owner, monkeypatch) -> None:
    sent: list[list[int]] = []
    monkeypatch.setattr(services, "enqueue", sent.append)
    running = services.batch_create(user=owner, files=[("a.jpg", photo(1)), ("b.jpg", photo(2))])
    cancelled = services.batch_create(user=owner, files=[("c.jpg", photo(3))])
    services.batch_cancel(user=owner, batch_id=cancelled.pk)
    sent.clear()
    assert services.batch_resume() == 2
    assert sent == [list(running.items.order_by("position").values_list("job_id", flat=True))]


def test_too_many_files_are_refused(owner, settings) -> None:
    settings.BATCH_MAX_FILES = 2
    with pytest.raises(services.BatchRefused) as refused:
        services.batch_create(user=owner, files=[(f"{n}.jpg", photo(n)) for n in range(3)])
    assert refused.value.code == "too_many_files"
