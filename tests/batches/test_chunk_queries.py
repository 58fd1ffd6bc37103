"""The batch path finishes a chunk with a bounded number of SQL queries, whatever its size."""

from __future__ import annotations

import pytest

from birdsite.batches import services
from birdsite.photos.models import ClassificationJob, Prediction
from birdsite.sightings.models import Sighting
from tests.batches.helpers import photo
from tests.fakes import FakeClassifier
from workers import model
from workers.tasks import classify_chunk

pytestmark = pytest.mark.django_db
MAX_QUERIES = 24  # 21 today: 3 claim/load, 8 finish (2 savepoints), 10 batch check + progress push


@pytest.mark.parametrize("size", [8, 32])
def test_a_chunk_finishes_with_a_bounded_number_of_queries(
    owner, size, django_assert_max_num_queries
) -> None:
    batch = services.batch_create(user=owner, files=[(f"{i}.jpg", photo(i)) for i in range(size)])
    job_ids = list(batch.items.order_by("position").values_list("job_id", flat=True))
    fake = FakeClassifier()
    model.set_classifier(fake)
    with django_assert_max_num_queries(MAX_QUERIES):
        outcome = classify_chunk(job_ids)
    model.set_classifier(None)
    assert outcome == {"succeeded": size, "failed": 0, "busy": 0} and fake.calls == [size]
    assert (
        ClassificationJob.objects.filter(pk__in=job_ids, status="succeeded", model_version="test-1").count()
        == size
    )
    assert Prediction.objects.filter(job_id__in=job_ids).count() == 5 * size
    assert Sighting.objects.filter(job_id__in=job_ids).count() == size
    batch.refresh_from_db()
    assert batch.status == batch.Status.FINISHED


def test_a_chunk_with_broken_files_fails_only_those_within_the_same_bound(
    owner, django_assert_max_num_queries
) -> None:
    batch = services.batch_create(user=owner, files=[(f"{i}.jpg", photo(i)) for i in range(8)])
    job_ids = list(batch.items.order_by("position").values_list("job_id", flat=True))
    for job_id in job_ids[:3]:
        with ClassificationJob.objects.get(pk=job_id).photo.image.open("wb") as fh:
            fh.write(b"\xff\xd8\xff\xe0 no longer a JPEG")
    model.set_classifier(FakeClassifier())
    with django_assert_max_num_queries(MAX_QUERIES):
        outcome = classify_chunk(job_ids)
    model.set_classifier(None)
    assert outcome == {"succeeded": 5, "failed": 3, "busy": 0}
    for job in ClassificationJob.objects.filter(pk__in=job_ids[:3]):
        assert job.status == "failed" and job.error.startswith("This file could not be read as an image")
        assert not job.predictions.exists() and not Sighting.objects.filter(job=job).exists()
