"""Batch services and the chunk processing, called directly with real rows and a fake model."""

from __future__ import annotations

import pytest

from birdsite.batches import selectors, services
from birdsite.batches.models import Batch, BatchItem
from birdsite.classification import claims, queue
from birdsite.photos.models import ClassificationJob
from birdsite.sightings.models import Sighting
from tests.batches.helpers import oversized_png, photo, truncated_jpeg
from tests.fakes import FakeClassifier

pytestmark = pytest.mark.django_db
Status = ClassificationJob.Status


def run_chunks(batch: Batch, fake: FakeClassifier | None = None) -> FakeClassifier:
    """What the worker does with the batch's jobs (its chunk tasks, called directly)."""
    from workers import model
    from workers.tasks import classify_chunk

    fake = fake or FakeClassifier()
    job_ids = list(batch.items.filter(kind="job").order_by("position").values_list("job_id", flat=True))
    model.set_classifier(fake)
    try:
        classify_chunk(job_ids)
    finally:
        model.set_classifier(None)
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
    # Uploads are decoded in full when they arrive, so damage afterwards is rare: the chunk's pass fails
    # and its photos are named one by one, so that only the damaged one fails.
    fake = run_chunks(batch)
    assert fake.calls == [2, 1, 1]
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


def test_a_job_held_by_another_delivery_is_sent_again_for_when_its_lease_runs_out(owner, sent) -> None:
    batch = services.batch_create(user=owner, files=[("a.jpg", photo(1))])
    job_id = batch.items.get().job_id
    claims.jobs_claim(job_ids=[job_id], token="another-delivery")
    from workers.tasks import classify_chunk

    assert classify_chunk(job_ids=[job_id]) == {"succeeded": 0, "failed": 0, "busy": 1}
    assert sent == [(queue.CLASSIFY_CHUNK, [[job_id]])]


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


def test_jobs_are_sent_in_chunks_of_the_configured_size(owner, settings, sent) -> None:
    settings.BATCH_CHUNK_SIZE = 4
    assert queue.chunks_send(list(range(1, 11))) == 10
    assert [args for _, args in sent] == [[[1, 2, 3, 4]], [[5, 6, 7, 8]], [[9, 10]]]


def test_a_batch_is_sent_once_it_is_committed_and_its_jobs_know_it(
    owner, sent, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.batch_create(user=owner, files=[("a.jpg", photo(1)), ("b.jpg", photo(2))])
    job_ids = list(batch.items.order_by("position").values_list("job_id", flat=True))
    assert sent == [(queue.CLASSIFY_CHUNK, [job_ids])]
    assert set(ClassificationJob.objects.filter(pk__in=job_ids).values_list("batch_id", flat=True)) == {
        batch.pk
    }


def test_a_batch_that_fails_half_way_stores_nothing(owner, monkeypatch, media_root, settings) -> None:
    from birdsite.batches import services as batch_services

    settings.BATCH_CHUNK_SIZE = 2  # the first two files are a whole chunk before the third fails

    real = batch_services.photo_create
    made: list[int] = []

    def fails_on_the_third(**kwargs):
        if len(made) == 2:
            raise RuntimeError("the database went away")
        made.append(1)
        return real(**kwargs)

    monkeypatch.setattr(batch_services, "photo_create", fails_on_the_third)
    with pytest.raises(RuntimeError):
        services.batch_create(user=owner, files=[(f"{n}.jpg", photo(n)) for n in range(4)])
    assert not Batch.objects.exists() and not ClassificationJob.objects.exists()
    assert [p for p in media_root.rglob("*") if p.is_file()] == []  # the two stored files are gone too


def test_too_many_files_are_refused(owner, settings) -> None:
    settings.BATCH_MAX_FILES = 2
    with pytest.raises(services.BatchRefused) as refused:
        services.batch_create(user=owner, files=[(f"{n}.jpg", photo(n)) for n in range(3)])
    assert refused.value.code == "too_many_files"
