"""Room for uploads: the per-owner quota, the free space kept on the media disk, and a full disk.

An upload that does not fit is refused with a readable ``UploadRejected`` and leaves no file behind;
one already accepted is never touched. See docs/operations.md ("Disk and quota").
"""

from __future__ import annotations

import errno
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import Storage
from django.db.models import Sum

from birdsite.media_storage import is_object_store
from birdsite.photos.images import UploadRejected

log = logging.getLogger(__name__)
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def storage_full() -> UploadRejected:
    return UploadRejected(
        "storage_full", "The server has no room for more photos right now; nothing was stored. Try later."
    )


def space_check(*, owner_id: int, size: int) -> None:
    """Refuse ``size`` more bytes for ``owner_id`` over ``UPLOAD_QUOTA_BYTES`` or into a nearly full disk.

    Runs inside the upload's transaction: with a quota set, the owner's row is locked, so two uploads of
    one owner at once cannot both squeeze under it.
    """
    from birdsite.photos.models import Photo

    quota = settings.UPLOAD_QUOTA_BYTES
    if quota:
        list(get_user_model().objects.select_for_update().filter(pk=owner_id).values_list("pk"))
        used = Photo.objects.filter(owner_id=owner_id).aggregate(n=Sum("size_bytes"))["n"] or 0
        if used + size > quota:
            raise UploadRejected(
                "quota_exceeded",
                f"Your photos use {used / 1e6:.1f} MB of your {quota / 1e6:.1f} MB; "
                "delete some to upload more.",
            )
    if is_object_store(settings.STORAGES):
        return  # photos go to a bucket (MEDIA_STORAGE_URL): the local disk's free space is not theirs
    where = Path(settings.MEDIA_ROOT)
    while not where.exists() and where != where.parent:  # MEDIA_ROOT is made by the first save
        where = where.parent
    free = shutil.disk_usage(where).free
    if free - size < settings.UPLOAD_MIN_FREE_BYTES:
        log.error(
            "media disk: %d bytes free, keeping %d free; upload refused", free, settings.UPLOAD_MIN_FREE_BYTES
        )
        raise storage_full()


@contextmanager
def files_or_nothing(storage: Storage) -> Iterator[list[str]]:
    """Yields a list to append saved names to; on any error those files (and a partial one) are deleted.

    A full disk (``ENOSPC``) becomes ``storage_full``; other errors pass through.
    """
    saved: list[str] = []
    try:
        yield saved
    except BaseException as exc:
        for name in saved:
            try:
                storage.delete(name)
            except OSError:
                log.warning("could not delete %s after a failed upload", name, exc_info=True)
        if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
            log.error("media disk full: %s", exc)
            raise storage_full() from exc
        raise


def save_new(storage: Storage, name: str, content: object, saved: list[str]) -> str:
    """``storage.save`` that records the name, and removes a partial file the save left behind."""
    target = storage.get_available_name(name)
    try:
        stored = storage.save(target, content)
    except OSError:
        if storage.exists(target):
            storage.delete(target)
        raise
    saved.append(stored)
    return stored


def local_file(storage: Storage, name: str, scratch: Path) -> Path:
    """A path on this machine holding the stored file ``name``: its own on the local disk, else a copy
    written under ``scratch`` (a bucket has no paths; training and other file readers need one)."""
    try:
        return Path(storage.path(name))
    except NotImplementedError:
        target = scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(name, "rb") as source, target.open("wb") as out:
            shutil.copyfileobj(source, out)
        return target
