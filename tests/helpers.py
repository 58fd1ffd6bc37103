from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from birdsite.photos import services
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
    job = submit(owner, data)
    services.job_process(job_id=job.pk, get_classifier=lambda: classifier or FakeClassifier())
    job.refresh_from_db()
    return job
