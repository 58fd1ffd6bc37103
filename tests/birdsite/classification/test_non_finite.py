"""A damaged model answers NaN: nothing non-finite is stored, and rows stored before that rule still read."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
from django.db import connection
from django.urls import reverse

from birdsite.photos.models import BirdAnswer, ClassificationJob, Prediction
from birdsite.sightings.models import Sighting
from classifier.result import PhotoResult
from tests.birdsite.api.conftest import token_client
from tests.fakes import FakeClassifier, fake_result
from tests.helpers import finished_job, process, submit

pytestmark = pytest.mark.django_db
Status = ClassificationJob.Status
NAN, INF = float("nan"), float("inf")


def with_bird(**bird: object) -> PhotoResult:
    result = fake_result()
    found = {"box": (0.1, 0.2, 0.3, 0.4), "bird_score": 0.95, **bird}
    return replace(result, birds=(replace(result.best, **found),))


def answering_nan_at(where: str) -> PhotoResult:
    result = fake_result()
    if where == "confidence":
        top, *rest = result.predictions
        return with_bird(predictions=(replace(top, confidence=NAN), *rest))
    if where == "bird_score":
        return with_bird(bird_score=NAN)
    if where == "box":
        return with_bird(box=(0.1, NAN, 0.3, 0.4))
    if where == "bird's bird_score":
        return with_bird(bird_score=-INF)
    assert where == "answer"
    return with_bird(answer=replace(result.best.answer, known_score=INF))


NOT_FINITE = "IN ('NaN', 'Infinity', '-Infinity')"
COLUMNS = {
    "photos_prediction": ["confidence", "bird_score", "box_x", "box_y", "box_w", "box_h"],
    "photos_birdanswer": ["confidence", "known_score"],
    "photos_classificationjob": ["bird_score"],
}


def non_finite_rows() -> int:
    """Rows holding NaN or infinity in any float column a result fills (PostgreSQL stores both)."""
    found = 0
    with connection.cursor() as cursor:
        for table, columns in COLUMNS.items():
            cursor.execute(
                f"SELECT count(*) FROM {table} WHERE " + " OR ".join(f"{c} {NOT_FINITE}" for c in columns)
            )
            found += cursor.fetchone()[0]
    return found


@pytest.mark.parametrize("where", ["confidence", "bird_score", "box", "bird's bird_score", "answer"])
def test_a_model_answering_a_number_that_is_not_finite_fails_the_job_and_stores_none_of_it(
    owner, where
) -> None:
    job = submit(owner)
    good = submit(owner)
    nan = FakeClassifier(result=answering_nan_at(where))
    outcome = process([job.pk], nan)
    process([good.pk])
    job.refresh_from_db()
    assert outcome.status_of(job.pk) == Status.FAILED
    assert job.status == Status.FAILED and "not a number" in job.error
    assert job.bird_score is None and job.model_version == ""
    assert not Prediction.objects.filter(job=job).exists()
    assert not BirdAnswer.objects.filter(job=job).exists()
    assert not Sighting.objects.filter(job=job).exists()
    assert non_finite_rows() == 0
    assert ClassificationJob.objects.get(pk=good.pk).status == Status.SUCCEEDED  # the pass's others go on


@pytest.fixture
def damaged_job(owner) -> ClassificationJob:
    """A finished job whose rows hold NaN and infinity, as a damaged model stored them before the writer
    refused them."""
    job = finished_job(owner)
    ClassificationJob.objects.filter(pk=job.pk).update(bird_score=NAN)
    Prediction.objects.filter(job=job, rank=1).update(confidence=NAN, bird_score=INF, box_x=NAN, box_w=0.5)
    Prediction.objects.filter(job=job, rank=1).update(box_h=-INF)
    Prediction.objects.filter(job=job, rank=2).update(confidence=INF)
    BirdAnswer.objects.filter(job=job, bird=0).update(confidence=NAN)
    return job


def strict_json(response) -> dict:
    """The body parsed as JSON proper: NaN and Infinity are not JSON, browsers refuse them."""

    def refuse(token: str) -> float:
        raise AssertionError(f"{token} in {response.request['PATH_INFO']}")

    return json.loads(response.content, parse_constant=refuse)


def test_rows_stored_with_nan_read_as_a_failed_photo_in_the_api_list(owner, damaged_job) -> None:
    response = token_client(owner).get(reverse("api:classification-list"))
    assert response.status_code == 200
    [item] = strict_json(response)["results"]
    assert item["verdict"] == "failed" and item["bird_score"] is None
    assert item["predictions"][0]["confidence"] is None and item["predictions"][0]["confidence_text"] == ""


def test_rows_stored_with_nan_read_as_a_failed_photo_on_the_job_page_and_its_json(
    owner_client, damaged_job
) -> None:
    page = owner_client.get(reverse("photos:job", args=[damaged_job.pk]))
    assert page.status_code == 200
    assert b"NaN" not in page.content and b"Infinity" not in page.content
    status = owner_client.get(reverse("photos:job-status", args=[damaged_job.pk]))
    assert status.status_code == 200
    payload = strict_json(status)
    assert payload["verdict"] == "failed" and payload["error"]
    assert all(p["confidence"] is None or math.isfinite(p["confidence"]) for p in payload["predictions"])


def test_rows_stored_with_nan_do_not_break_the_staff_review_queue(client, staff, damaged_job) -> None:
    client.force_login(staff)
    page = client.get(reverse("review:queue"))
    assert page.status_code == 200
    assert b"NaN" not in page.content and b"nan%" not in page.content


def test_a_prediction_stored_with_nan_still_names_itself_in_the_admin(damaged_job) -> None:
    from birdsite.photos.models import Prediction

    names = [str(p) for p in Prediction.objects.filter(job=damaged_job)]  # raised TypeError before
    assert any(name.endswith(" ?") for name in names), names
