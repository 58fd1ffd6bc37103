"""Single uploads waiting together share one forward pass; each row is still finished on its own."""

from __future__ import annotations

import pytest

from birdsite.classification import claims, processing
from birdsite.photos.models import ClassificationJob
from classifier.result import PhotoResult
from tests.helpers import submit
from workers import model
from workers.tasks import classify

Status = ClassificationJob.Status
pytestmark = pytest.mark.django_db


def test_two_uploads_queued_together_share_one_forward_pass_and_both_succeed(owner, fake_classifier):
    first, second = submit(owner), submit(owner)
    assert classify(first.pk) == Status.SUCCEEDED
    assert fake_classifier.calls == [2]
    for job in (first, second):
        job.refresh_from_db()
        assert job.status == Status.SUCCEEDED
        assert job.model_version == fake_classifier.model_version
        assert job.predictions.count() == 5


def test_the_task_of_an_upload_taken_along_finds_it_done_and_runs_nothing(owner, fake_classifier):
    first, second = submit(owner), submit(owner)
    classify(first.pk)
    assert classify(second.pk) == Status.SUCCEEDED
    assert fake_classifier.calls == [2]
    assert second.predictions.count() == 5  # not stored twice


def test_no_more_uploads_than_the_batch_size_share_a_pass(owner, fake_classifier, settings):
    settings.BIRDSITE_BATCH_SIZE = 2
    jobs = [submit(owner) for _ in range(3)]
    classify(jobs[0].pk)
    assert fake_classifier.calls == [2]
    statuses = sorted(ClassificationJob.objects.values_list("status", flat=True))
    assert statuses == [Status.PENDING, Status.SUCCEEDED, Status.SUCCEEDED]


def test_an_upload_held_by_another_worker_is_not_taken_along(owner, fake_classifier):
    first, held = submit(owner), submit(owner)
    claims.jobs_claim(job_ids=[held.pk])
    classify(first.pk)
    assert fake_classifier.calls == [1]
    held.refresh_from_db()
    assert held.status == Status.RUNNING and held.attempts == 1


def test_a_broken_photo_fails_alone_and_the_others_in_its_pass_succeed(owner, fake_classifier):
    good, broken = submit(owner), submit(owner)
    with open(broken.photo.image.path, "wb") as fh:
        fh.write(b"not a jpeg any more")
    assert classify(good.pk) == Status.SUCCEEDED
    broken.refresh_from_db()
    assert broken.status == Status.FAILED and "could not be read as an image" in broken.error
    good.refresh_from_db()
    assert good.status == Status.SUCCEEDED


def test_when_the_model_cannot_load_every_job_of_the_pass_goes_back_to_waiting(owner):
    def broken() -> None:
        raise RuntimeError("no weights")

    first, second = submit(owner), submit(owner)
    outcome = processing.jobs_process(
        job_ids=[first.pk],
        predict=lambda images, regions: _classify_many_with(broken, images, regions),
        take_along=7,
    )
    assert outcome.status_of(first.pk) == Status.PENDING
    assert sorted(outcome.released) == sorted([first.pk, second.pk])
    for job in (first, second):
        job.refresh_from_db()
        assert (job.status, job.error, job.claimed_by) == (Status.PENDING, "", "")


def _classify_many_with(get_classifier, images, regions):
    original = model.get_classifier
    model.get_classifier = get_classifier
    try:
        return model.classify_many(images, regions)
    finally:
        model.get_classifier = original


def test_classify_many_returns_the_error_in_place_of_a_broken_image(fake_classifier):
    from tests.fakes import jpeg_bytes

    results = model.classify_many([jpeg_bytes(), b"garbage", jpeg_bytes()])
    assert [isinstance(r, PhotoResult) for r in results] == [True, False, True]
    assert isinstance(results[1], processing.ImageUnreadable)
    assert results[0].model_version == fake_classifier.model_version


def test_a_claim_of_many_takes_only_pending_jobs_and_returns_their_attempts(owner):
    pending, held, done = submit(owner), submit(owner), submit(owner)
    claims.jobs_claim(job_ids=[held.pk])
    ClassificationJob.objects.filter(pk=done.pk).update(status=Status.SUCCEEDED)
    taken = claims.jobs_claim(job_ids=[pending.pk, held.pk, done.pk], pending_only=True)
    assert taken.taken == {pending.pk: 1} and taken.busy == [held.pk] and taken.done == [done.pk]
    assert claims.jobs_claim(job_ids=[pending.pk], pending_only=True).taken == {}


def test_jobs_of_a_batch_are_never_taken_along_with_an_upload(owner, fake_classifier):
    from birdsite.batches.models import Batch

    batch = Batch.objects.create(owner=owner, expected=1)
    upload, of_batch = submit(owner), submit(owner)
    ClassificationJob.objects.filter(pk=of_batch.pk).update(batch=batch)
    classify(upload.pk)
    of_batch.refresh_from_db()
    assert fake_classifier.calls == [1] and of_batch.status == Status.PENDING
