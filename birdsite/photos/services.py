"""Writes for photos: check and store an upload, delete a photo and its files.

What happens to a photo after it is stored (its classification jobs) is ``birdsite.classification``."""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from birdsite.photos import storage as room
from birdsite.photos.exif import read_metadata
from birdsite.photos.images import UploadRejected, check_image
from birdsite.photos.models import Photo

log = logging.getLogger(__name__)


def read_upload(upload: UploadedFile) -> bytes:
    if upload.size is not None and upload.size > settings.UPLOAD_MAX_BYTES:
        raise UploadRejected(
            "too_large",
            f"The file is {upload.size / 1e6:.1f} MB; the limit is {settings.UPLOAD_MAX_BYTES / 1e6:.0f} MB.",
        )
    upload.seek(0)
    return upload.read(settings.UPLOAD_MAX_BYTES + 1)


@transaction.atomic
def photo_create(*, owner: AbstractBaseUser, data: bytes, filename: str = "") -> Photo:
    """Check ``data`` by content, then store it with its SHA-256 and a thumbnail."""
    checked = check_image(
        data,
        max_bytes=settings.UPLOAD_MAX_BYTES,
        max_pixels=settings.UPLOAD_MAX_PIXELS,
        thumbnail_size=settings.THUMBNAIL_SIZE,
    )
    meta = read_metadata(data, default_tz=timezone.get_default_timezone())
    photo = Photo(
        owner_id=owner.pk,
        sha256=hashlib.sha256(data).hexdigest(),
        original_name=(filename or "")[-255:],
        image_format=checked.image_format,
        width=checked.width,
        height=checked.height,
        size_bytes=len(data),
        taken_at=meta.taken_at,
        taken_clock=meta.taken_clock.isoformat() if meta.taken_clock is not None else "",
        taken_offset=meta.taken_offset,
        latitude=meta.latitude,
        longitude=meta.longitude,
        camera=meta.camera,
    )
    room.space_check(owner_id=owner.pk, size=len(data) + len(checked.thumbnail_jpeg))
    with room.files_or_nothing(photo.image.storage) as saved:  # a failed upload leaves no file
        for field, name, content in (
            (photo.image, f"upload{checked.suffix}", data),
            (photo.thumbnail, "thumb.jpg", checked.thumbnail_jpeg),
        ):
            target = field.field.generate_filename(photo, name)
            field.name = room.save_new(field.storage, target, ContentFile(content), saved)
        photo.save()
    return photo


def photo_delete(*, photo: Photo) -> None:
    """Delete the row (jobs, predictions and sightings cascade) and, after commit, its files."""
    files = [f for f in (photo.image, photo.thumbnail) if f]
    storage_names = [(f.storage, f.name) for f in files]
    photo.delete()

    def remove_files() -> None:
        for storage, name in storage_names:
            try:
                storage.delete(name)
            except OSError:
                log.warning("could not delete %s", name, exc_info=True)

    transaction.on_commit(remove_files)
