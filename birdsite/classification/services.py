"""Where a photo becomes a job: one upload, or another look at a part of a stored photo."""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from birdsite.classification import queue
from birdsite.errors import Refused
from birdsite.photos.models import ClassificationJob, Photo
from birdsite.photos.services import photo_create, read_upload


@transaction.atomic
def classification_submit(
    *, owner: AbstractBaseUser, upload: UploadedFile, region: Sequence[float] | None = None
) -> ClassificationJob:
    """Store the photo, create its job row (for ``region`` of it only, if given), and send the job once
    the row is committed. A bad region is refused before anything is stored."""
    box = region_check(region) if region is not None else None
    photo = photo_create(owner=owner, data=read_upload(upload), filename=upload.name or "")
    job = ClassificationJob(owner_id=owner.pk, photo=photo)
    if box is not None:
        job.region_x, job.region_y, job.region_w, job.region_h = box
    job.save()
    queue.job_send_on_commit(job.pk)
    return job


class RegionRefused(Refused):
    """A region of a photo that cannot be named (outside the photo, too small, not a number)."""

    default_code = "invalid_region"


def region_check(region: Sequence[float] | None) -> list[float]:
    """A user's box as normalised x, y, w, h inside the photo, of some size; refused otherwise."""
    try:
        x, y, w, h = (float(v) for v in region)
    except (TypeError, ValueError, OverflowError) as exc:  # OverflowError: an int past float's range
        raise RegionRefused(
            "invalid_region", "A region is four numbers: x, y, width and height, from 0 to 1."
        ) from exc
    if not all(math.isfinite(v) for v in (x, y, w, h)):  # JSON's 1e400 reads as inf; NaN compares False
        raise RegionRefused(
            "invalid_region", "A region is four finite numbers: x, y, width and height, from 0 to 1."
        )
    if not all(0.0 <= v <= 1.0 for v in (x, y, w, h)) or x + w > 1.0 + 1e-6 or y + h > 1.0 + 1e-6:
        raise RegionRefused(
            "invalid_region", "The region must lie inside the photo (x, y, width, height from 0 to 1)."
        )
    if w < 0.01 or h < 0.01:
        raise RegionRefused("region_too_small", "The region is too small to look at; draw a larger box.")
    return [x, y, min(w, 1.0 - x), min(h, 1.0 - y)]


@transaction.atomic
def classification_of_region(
    *, owner: AbstractBaseUser, photo: Photo, region: Sequence[float] | None
) -> ClassificationJob:
    """A new job on the same photo that names only ``region``; earlier jobs and predictions stay."""
    x, y, w, h = region_check(region)
    job = ClassificationJob.objects.create(
        owner_id=owner.pk, photo=photo, region_x=x, region_y=y, region_w=w, region_h=h
    )
    queue.job_send_on_commit(job.pk)
    return job
