from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from birdsite.classification import claims, processing, results
from birdsite.photos import payloads, selectors
from birdsite.photos.models import ClassificationJob, Prediction
from birdsite.sightings.models import Sighting
from tests.fakes import FakeClassifier, fake_result
from tests.helpers import finished_job, process, submit

pytestmark = pytest.mark.django_db
Status = ClassificationJob.Status


def test_a_job_can_be_claimed_only_once(owner) -> None:
    job = submit(owner)
    assert claims.jobs_claim(job_ids=[job.pk]).taken == {job.pk: 1}
    again = claims.jobs_claim(job_ids=[job.pk])
    assert again.taken == {} and again.busy == [job.pk]
    job.refresh_from_db()
    assert job.status == Status.RUNNING and job.started_at is not None and job.lease_expires_at is not None


def test_a_job_whose_lease_ran_out_is_claimed_again_at_once(owner) -> None:
    job = submit(owner)
    claims.jobs_claim(job_ids=[job.pk], token="task-1")
    ClassificationJob.objects.filter(pk=job.pk).update(
        lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert claims.jobs_claim(job_ids=[job.pk], token="task-2").taken == {job.pk: 2}


def test_a_row_claimed_before_leases_is_claimed_again_once_stale(owner, settings) -> None:
    job = submit(owner)
    claims.jobs_claim(job_ids=[job.pk])
    ClassificationJob.objects.filter(pk=job.pk).update(
        lease_expires_at=None,
        started_at=timezone.now() - dt.timedelta(seconds=settings.JOB_STALE_SECONDS + 5),
    )
    assert claims.jobs_claim(job_ids=[job.pk]).taken == {job.pk: 2}


def test_the_same_task_delivered_again_takes_its_own_claim_back_at_once(owner) -> None:
    job = submit(owner)
    claims.jobs_claim(job_ids=[job.pk], token="task-1")
    assert claims.jobs_claim(job_ids=[job.pk], token="task-2").busy == [job.pk]  # someone else waits
    assert claims.jobs_claim(job_ids=[job.pk], token="task-1").taken == {job.pk: 2}  # the redelivery


def test_a_lease_is_renewed_only_for_the_claim_that_holds_it(owner) -> None:
    job = submit(owner)
    first = claims.jobs_claim(job_ids=[job.pk], token="a").taken
    ClassificationJob.objects.filter(pk=job.pk).update(
        lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    claims.jobs_claim(job_ids=[job.pk], token="b")
    assert claims.leases_renew(first) == 0  # the dead claim cannot revive itself
    assert claims.leases_renew({job.pk: 2}) == 1


def test_the_worker_stores_predictions_the_version_and_a_sighting(owner) -> None:
    job = finished_job(owner, FakeClassifier(model_version="2026.11.29-test"))
    assert job.status == Status.SUCCEEDED and job.progress == 100
    assert job.model_version == "2026.11.29-test"
    assert job.is_bird is True and job.bird_score == pytest.approx(0.97)
    ranks = list(job.predictions.values_list("rank", "label", "model_version"))
    assert ranks[0] == (1, "amegfi", "2026.11.29-test") and len(ranks) == 5
    sighting = Sighting.objects.get(job=job)
    assert (sighting.species_key, sighting.common_name, sighting.confirmed) == (
        "amegfi",
        "American Goldfinch",
        False,
    )
    assert sighting.owner == owner and sighting.photo == job.photo


def test_a_second_delivery_of_a_finished_job_changes_nothing(owner) -> None:
    job = finished_job(owner)
    fake = FakeClassifier()
    outcome = process([job.pk], fake)
    assert outcome.status_of(job.pk) == Status.SUCCEEDED and outcome.retry_in is None
    assert fake.calls == []
    assert Prediction.objects.filter(job=job).count() == 5
    assert Sighting.objects.filter(job=job).count() == 1


def test_a_delivery_that_finds_the_job_running_asks_to_come_back_later(owner, settings) -> None:
    job = submit(owner)
    claims.jobs_claim(job_ids=[job.pk], token="someone-else")
    outcome = process([job.pk], token="me")
    assert outcome.status_of(job.pk) == "busy"
    assert 1 < outcome.retry_in <= settings.JOB_LEASE_SECONDS + 1


def test_a_result_from_a_lost_claim_is_dropped(owner) -> None:
    job = submit(owner)
    first = claims.jobs_claim(job_ids=[job.pk]).taken
    ClassificationJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - dt.timedelta(days=1))
    claims.jobs_claim(job_ids=[job.pk])  # another worker took over
    jobs = ClassificationJob.objects.select_related("photo").in_bulk([job.pk])
    finished = results.jobs_finish(jobs=jobs, succeeded={job.pk: (first[job.pk], fake_result())}, failed={})
    assert finished.succeeded == [] and not Prediction.objects.filter(job=job).exists()


def test_a_bad_image_fails_the_job_at_once_with_a_readable_reason(owner) -> None:
    job = submit(owner)
    with open(job.photo.image.path, "wb") as fh:
        fh.write(b"no longer a jpeg")
    outcome = process([job.pk])
    job.refresh_from_db()
    assert outcome.status_of(job.pk) == Status.FAILED and outcome.retry_in is None
    assert job.status == Status.FAILED
    assert job.error.startswith("This file could not be read as an image: ")
    assert not Sighting.objects.filter(job=job).exists()


def test_a_classifier_crash_fails_the_job_instead_of_leaving_it_running(owner) -> None:
    job = submit(owner)
    process([job.pk], FakeClassifier(error=RuntimeError("boom")))
    job.refresh_from_db()
    assert job.status == Status.FAILED and "classifier failed" in job.error


def test_a_missing_photo_file_fails_the_job(owner) -> None:
    job = submit(owner)
    job.photo.image.storage.delete(job.photo.image.name)
    process([job.pk])
    job.refresh_from_db()
    assert job.status == Status.FAILED and "could not be read" in job.error


def test_a_new_model_version_adds_predictions_and_never_overwrites_old_ones(owner) -> None:
    job = finished_job(owner, FakeClassifier(model_version="v1"))
    ClassificationJob.objects.filter(pk=job.pk).update(status=Status.PENDING)
    process([job.pk], FakeClassifier(model_version="v2"))
    job.refresh_from_db()
    assert job.model_version == "v2"
    assert sorted(set(job.predictions.values_list("model_version", flat=True))) == ["v1", "v2"]
    assert [p.model_version for p in selectors.current_predictions(job)] == ["v2"] * 5


def test_the_verdict_says_no_bird_when_the_gate_says_so(owner) -> None:
    job = finished_job(owner, FakeClassifier(result=fake_result(is_bird=False)))
    assert payloads.job_payload(job)["verdict"] == "no_bird"
    assert not Sighting.objects.filter(job=job).exists()  # kept as a photo, not a sighting


def test_the_verdict_is_unsure_below_the_confidence_threshold(owner, settings) -> None:
    settings.CONFIDENCE_THRESHOLD = 0.6
    unsure = finished_job(owner, FakeClassifier(result=fake_result(top_confidence=0.41)))
    sure = finished_job(owner, FakeClassifier(result=fake_result(top_confidence=0.83)))
    assert payloads.job_payload(unsure)["verdict"] == "unsure"
    assert payloads.job_payload(sure)["verdict"] == "sure"


def test_the_payload_has_what_the_page_needs(owner) -> None:
    payload = payloads.job_payload(finished_job(owner))
    assert payload["status"] == "succeeded" and payload["sighting_url"].startswith("/sightings/")
    top = payload["predictions"][0]
    assert top["common_name"] == "American Goldfinch"
    assert top["wikipedia_url"] == "https://en.wikipedia.org/wiki/Spinus_tristis"
    assert set(top) >= {"label", "scientific_name", "confidence", "ebird_code"}


def broken_model():
    raise RuntimeError("head.weights.h5 does not match its checksum")


def test_a_model_that_cannot_be_loaded_gives_the_job_back_to_wait_instead_of_failing_it(
    owner, monkeypatch
) -> None:
    job = submit(owner)
    monkeypatch.setattr("workers.model.get_classifier", broken_model)
    from workers import model

    outcome = processing.jobs_process(job_ids=[job.pk], predict=model.classify_many)
    job.refresh_from_db()
    assert (job.status, job.error, job.claimed_by, job.progress) == (Status.PENDING, "", "", 0)
    assert outcome.released == [job.pk] and outcome.status_of(job.pk) == Status.PENDING
    assert outcome.failed == [] and outcome.succeeded == []
    assert job.lease_expires_at is None and job.started_at is None and job.finished_at is None
    assert claims.jobs_claim(job_ids=[job.pk], token="a-good-worker").taken == {job.pk: 2}


def test_a_late_give_back_of_a_claim_taken_over_changes_nothing(owner) -> None:
    job = submit(owner)
    first = claims.jobs_claim(job_ids=[job.pk]).taken
    ClassificationJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - dt.timedelta(days=1))
    claims.jobs_claim(job_ids=[job.pk])  # another worker took over
    assert claims.jobs_release(first) == []
    job.refresh_from_db()
    assert job.status == Status.RUNNING and job.attempts == 2


@pytest.mark.django_db(transaction=True)  # the lease thread has its own connection: it must see the row
def test_a_job_running_four_times_as_long_as_its_lease_keeps_it_and_is_stored_once(owner, settings) -> None:
    settings.JOB_LEASE_SECONDS, settings.JOB_LEASE_RENEW_SECONDS = 1, 0.2
    job = submit(owner)
    others: list[claims.Claimed] = []

    class Slow(FakeClassifier):
        def predict(self, images, top_k=5, regions=None):
            deadline = time.monotonic() + 4 * settings.JOB_LEASE_SECONDS
            while time.monotonic() < deadline:  # another worker keeps trying to take it meanwhile
                others.append(claims.jobs_claim(job_ids=[job.pk], token="another-worker"))
                time.sleep(0.1)
            return super().predict(images, top_k, regions)

    assert process([job.pk], Slow(), token="the-worker").status_of(job.pk) == Status.SUCCEEDED
    assert len(others) > 30 and all(o.taken == {} for o in others)
    job.refresh_from_db()
    assert job.attempts == 1 and job.predictions.count() == 5
