from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from birdsite.classification import processing, services
from birdsite.photos.models import ClassificationJob
from tests.fakes import FakeClassifier, jpeg_bytes


def upload_file(data: bytes | None = None, name: str = "bird.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes() if data is None else data, content_type="image/jpeg")


def submit(owner, data: bytes | None = None, monkeypatch=None) -> ClassificationJob:
    """A job as an upload creates it (the queueing after commit is not exercised here)."""
    return services.classification_submit(owner=owner, upload=upload_file(data))


def finished_job(
    owner, classifier: FakeClassifier | None = None, data: bytes | None = None
) -> ClassificationJob:
    # One transaction: the job's on-commit send happens once it is finished, so a live worker that
    # receives it finds nothing to claim instead of racing this classifier with its own.
    with transaction.atomic():
        job = submit(owner, data)
        process([job.pk], classifier or FakeClassifier())
    job.refresh_from_db()
    return job


def process(job_ids: list[int], classifier=None, **options) -> processing.Outcome:
    """Run the one processing path over ``job_ids`` with ``classifier`` as this process's model."""
    from workers import model

    model.set_classifier(classifier if classifier is not None else FakeClassifier())
    try:
        return processing.jobs_process(job_ids=job_ids, predict=model.classify_many, **options)
    finally:
        model.set_classifier(None)
