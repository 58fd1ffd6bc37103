"""Issue 25: the page's JSON and the API say what each named species was learned from."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.urls import reverse

from birdsite.photos.payloads import job_payload
from classifier.result import PhotoResult
from tests.fakes import FakeClassifier, fake_result
from tests.helpers import finished_job

pytestmark = pytest.mark.django_db


def result_with_support() -> PhotoResult:
    result = fake_result()
    first, second, *rest = result.predictions
    first, second = replace(first, training_photos=4), replace(second, learned_from="many iNaturalist photos")
    return replace(result, birds=(replace(result.best, predictions=(first, second, *rest)),))


def test_the_page_and_the_api_say_how_many_photos_a_species_was_learned_from(owner, owner_api) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with_support()))
    page = [p["learned_from"] for p in job_payload(job)["predictions"]]
    api = owner_api.get(reverse("api:classification-detail", args=[job.pk])).json()
    assert page[:3] == ["4 photos", "many iNaturalist photos", None]
    assert [p["learned_from"] for p in api["predictions"]][:3] == page[:3]
