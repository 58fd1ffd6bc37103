from __future__ import annotations

import hashlib

import pytest

from birdsite.classification.services import classification_submit
from birdsite.photos import services
from birdsite.photos.images import UploadRejected
from birdsite.photos.models import ClassificationJob, Photo
from tests.fakes import jpeg_bytes
from tests.helpers import upload_file

pytestmark = pytest.mark.django_db


def test_an_upload_is_stored_with_its_sha256_and_a_thumbnail(owner, queued, media_root) -> None:
    data = jpeg_bytes((120, 80))
    job = classification_submit(owner=owner, upload=upload_file(data, "Finch.JPG"))
    photo = job.photo
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert (photo.width, photo.height, photo.image_format, photo.size_bytes) == (120, 80, "JPEG", len(data))
    assert photo.original_name == "Finch.JPG"
    assert photo.image.name.endswith(f"{photo.sha256}.jpg")
    assert (media_root / photo.image.name).read_bytes() == data
    assert (media_root / photo.thumbnail.name).stat().st_size > 0


def test_the_job_row_exists_before_the_task_is_queued_after_commit(
    owner, queued, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = classification_submit(owner=owner, upload=upload_file())
    assert job.status == ClassificationJob.Status.PENDING
    assert queued == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert queued == [job.pk]


def test_a_rejected_upload_leaves_no_row_no_file_and_queues_nothing(
    owner, queued, media_root, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(UploadRejected) as info:
        classification_submit(owner=owner, upload=upload_file(b"GIF89a but not really"))
    assert info.value.code in {"not_an_image", "corrupt"}
    assert not Photo.objects.exists() and not ClassificationJob.objects.exists()
    assert queued == []
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def test_an_oversized_upload_is_refused_before_it_is_read(owner, queued, settings) -> None:
    settings.UPLOAD_MAX_BYTES = 100
    with pytest.raises(UploadRejected) as info:
        classification_submit(owner=owner, upload=upload_file(jpeg_bytes((200, 200))))
    assert info.value.code == "too_large"


def test_deleting_a_photo_removes_its_files_after_commit(
    owner, queued, media_root, django_capture_on_commit_callbacks
) -> None:
    job = classification_submit(owner=owner, upload=upload_file())
    paths = [media_root / job.photo.image.name, media_root / job.photo.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        services.photo_delete(photo=job.photo)
    assert not ClassificationJob.objects.filter(pk=job.pk).exists()
    assert not any(p.exists() for p in paths)
