from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from birdsite.photos import selectors, services
from birdsite.photos.models import ClassificationJob, Prediction
from birdsite.sightings.models import Sighting
from tests.fakes import FakeClassifier, FakeInvalidImage, fake_result
from tests.helpers import finished_job, submit

pytestmark = pytest.mark.django_db
Status = ClassificationJob.Status


def test_a_job_can_be_claimed_only_once(owner) -> None:
    job = submit(owner)
    assert services.job_claim(job_id=job.pk) == 1
    assert services.job_claim(job_id=job.pk) is None
    job.refresh_from_db()
    assert job.status == Status.RUNNING and job.started_at is not None


def test_a_job_left_running_by_a_dead_worker_is_claimed_again_once_stale(owner, settings) -> None:
    job = submit(owner)
    services.job_claim(job_id=job.pk)
    ClassificationJob.objects.filter(pk=job.pk).update(
        started_at=timezone.now() - dt.timedelta(seconds=settings.JOB_STALE_SECONDS + 5)
    )
    assert services.job_claim(job_id=job.pk) == 2


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
    outcome = services.job_process(job_id=job.pk, get_classifier=lambda: fake)
    assert outcome.status == Status.SUCCEEDED and outcome.retry_in is None
    assert fake.calls == []
    assert Prediction.objects.filter(job=job).count() == 5
    assert Sighting.objects.filter(job=job).count() == 1


def test_a_delivery_that_finds_the_job_running_asks_to_come_back_later(owner) -> None:
    job = submit(owner)
    services.job_claim(job_id=job.pk)
    outcome = services.job_process(job_id=job.pk, get_classifier=FakeClassifier)
    assert outcome.status == "busy" and outcome.retry_in > 1


def test_a_result_from_a_lost_claim_is_dropped(owner, settings) -> None:
    job = submit(owner)
    first = services.job_claim(job_id=job.pk)
    ClassificationJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - dt.timedelta(days=1))
    services.job_claim(job_id=job.pk)  # another worker took over
    assert services.job_succeed(job_id=job.pk, attempt=first, result=fake_result()) is None
    assert not Prediction.objects.filter(job=job).exists()


def test_a_bad_image_fails_the_job_at_once_with_a_readable_reason(owner) -> None:
    job = submit(owner)
    fake = FakeClassifier(error=FakeInvalidImage("cannot identify image file"))
    outcome = services.job_process(
        job_id=job.pk, get_classifier=lambda: fake, invalid_image=(FakeInvalidImage,)
    )
    job.refresh_from_db()
    assert outcome.status == Status.FAILED and outcome.retry_in is None
    assert job.status == Status.FAILED
    assert job.error == "This file could not be read as an image: cannot identify image file"
    assert not Sighting.objects.filter(job=job).exists()


def test_a_classifier_crash_fails_the_job_instead_of_leaving_it_running(owner) -> None:
    job = submit(owner)
    services.job_process(job_id=job.pk, get_classifier=lambda: FakeClassifier(error=RuntimeError("boom")))
    job.refresh_from_db()
    assert job.status == Status.FAILED and "classifier failed" in job.error


def test_a_missing_photo_file_fails_the_job(owner) -> None:
    job = submit(owner)
    job.photo.image.storage.delete(job.photo.image.name)
    services.job_process(job_id=job.pk, get_classifier=FakeClassifier)
    job.refresh_from_db()
    assert job.status == Status.FAILED and "could not be read" in job.error


def test_a_new_model_version_adds_predictions_and_never_overwrites_old_ones(owner) -> None:
    job = finished_job(owner, FakeClassifier(model_version="v1"))
    ClassificationJob.objects.filter(pk=job.pk).update(status=Status.PENDING)
    services.job_process(job_id=job.pk, get_classifier=lambda: FakeClassifier(model_version="v2"))
    job.refresh_from_db()
    assert job.model_version == "v2"
    assert sorted(set(job.predictions.values_list("model_version", flat=True))) == ["v1", "v2"]
    assert [p.model_version for p in selectors.current_predictions(job)] == ["v2"] * 5


def test_the_verdict_says_no_bird_when_the_gate_says_so(owner) -> None:
    job = finished_job(owner, FakeClassifier(result=fake_result(is_bird=False)))
    assert selectors.job_payload(job)["verdict"] == "no_bird"
    assert Sighting.objects.get(job=job).species_key == ""


def test_the_verdict_is_unsure_below_the_confidence_threshold(owner, settings) -> None:
    settings.CONFIDENCE_THRESHOLD = 0.6
    unsure = finished_job(owner, FakeClassifier(result=fake_result(top_confidence=0.41)))
    sure = finished_job(owner, FakeClassifier(result=fake_result(top_confidence=0.83)))
    assert selectors.job_payload(unsure)["verdict"] == "unsure"
    assert selectors.job_payload(sure)["verdict"] == "sure"


def test_the_payload_has_what_the_page_needs(owner) -> None:
    payload = selectors.job_payload(finished_job(owner))
    assert payload["status"] == "succeeded" and payload["sighting_url"].startswith("/sightings/")
    top = payload["predictions"][0]
    assert top["common_name"] == "American Goldfinch"
    assert top["wikipedia_url"] == "https://en.wikipedia.org/wiki/Spinus_tristis"
    assert set(top) >= {"label", "scientific_name", "confidence", "ebird_code"}


def test_a_model_that_cannot_be_loaded_fails_the_job_with_a_plain_reason(owner) -> None:
    job = submit(owner)

    def broken():
        raise FileNotFoundError("/srv/models/DEFAULT")

    services.job_process(job_id=job.pk, get_classifier=broken)
    job.refresh_from_db()
    assert job.status == Status.FAILED and job.error == "The model is not available on this server right now."
