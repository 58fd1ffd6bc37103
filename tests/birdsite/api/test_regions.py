"""Regions in the API: a box on upload, "identify this part" of a classification, boxes in the answer."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from birdsite.photos.models import ClassificationJob, Prediction
from tests.birdsite.classification.test_results import two_birds
from tests.fakes import FakeClassifier, jpeg_bytes
from tests.helpers import finished_job, process

pytestmark = pytest.mark.django_db
LIST_URL = reverse("api:classification-list")


def region_url(job_id: int) -> str:
    return reverse("api:classification-region", args=[job_id])


def test_an_upload_can_name_only_a_region_of_the_photo(owner_api, queued) -> None:
    upload = SimpleUploadedFile("bird.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = owner_api.post(LIST_URL, {"image": upload, "region": "0.1,0.2,0.5,0.4"}, format="multipart")
    assert response.status_code == 202, response.json()
    job = ClassificationJob.objects.get(pk=response.json()["id"])
    assert job.region == [0.1, 0.2, 0.5, 0.4]


@pytest.mark.parametrize(
    ("region", "code"),
    [
        ([0.5, 0.5, 0.7, 0.2], "invalid_region"),
        ([0.2, 0.2, 0.0, 0.0], "region_too_small"),
        ("x", "invalid_region"),
    ],
)
def test_a_region_outside_the_photo_or_of_zero_size_is_a_400_with_a_stable_code(
    owner_api, owner, queued, region, code
) -> None:
    job = finished_job(owner)
    response = owner_api.post(region_url(job.pk), {"region": region}, format="json")
    assert response.status_code == 400 and response.json()["code"] == code
    assert ClassificationJob.objects.count() == 1


def test_identify_this_part_adds_a_classification_and_keeps_the_old_one(
    owner_api, owner, queued, django_capture_on_commit_callbacks
) -> None:
    job = finished_job(owner)
    old = set(Prediction.objects.filter(job=job).values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_api.post(region_url(job.pk), {"region": [0.2, 0.1, 0.4, 0.5]}, format="json")
    assert response.status_code == 202
    again = response.json()["id"]
    assert queued == [again]
    process([again])
    body = owner_api.get(response.json()["url"]).json()
    assert body["status"] == "succeeded" and body["region"] == [0.2, 0.1, 0.4, 0.5]
    assert set(Prediction.objects.filter(job=job).values_list("pk", flat=True)) == old


def test_another_users_classification_cannot_be_looked_at_again(stranger_api, owner, queued) -> None:
    job = finished_job(owner)
    response = stranger_api.post(region_url(job.pk), {"region": [0.2, 0.1, 0.4, 0.5]}, format="json")
    assert response.status_code == 404 and queued == []


def test_the_answer_lists_every_bird_with_its_box(owner_api, owner) -> None:
    job = finished_job(owner, FakeClassifier(result=two_birds()))
    body = owner_api.get(reverse("api:classification-detail", args=[job.pk])).json()
    assert [b["box"] for b in body["birds"]] == [[0.1, 0.2, 0.3, 0.4], [0.6, 0.5, 0.2, 0.25]]
    assert [len(b["predictions"]) for b in body["birds"]] == [5, 5]
    assert body["predictions"] == body["birds"][0]["predictions"]  # the best bird, as before


OUT_OF_RANGE = ["1" + "0" * 400, "1e400", "-1e400", "NaN", "Infinity", "-0", "1" * 4000, "9" * 5000]
# The API's parser refuses these before any view runs: not JSON (NaN), or past Python's int digits limit.
UNPARSED = {"NaN", "Infinity", "9" * 5000}


@pytest.mark.parametrize("number", OUT_OF_RANGE)
@pytest.mark.parametrize("door", ["api", "page"])
def test_it_answers_a_coordinate_out_of_floats_range_with_a_400_invalid_region(
    owner_api, owner, client, queued, door, number
) -> None:
    job = finished_job(owner)
    body = '{"region": [' + number + ", 0.1, 0.5, 0.5]}"
    if door == "api":
        response = owner_api.post(region_url(job.pk), body, content_type="application/json")
    else:
        client.force_login(owner)
        url = reverse("photos:job-region", args=[job.pk])
        response = client.post(url, body, content_type="application/json", HTTP_ACCEPT="application/json")
    if number == "-0":  # a real number, inside the photo
        assert response.status_code in (201, 202), response.content
        return
    assert response.status_code == 400, response.content
    payload = response.json()
    expected = "parse_error" if door == "api" and number in UNPARSED else "invalid_region"
    assert payload["code"] == expected, payload
    assert payload["message"]
    assert ClassificationJob.objects.count() == 1
