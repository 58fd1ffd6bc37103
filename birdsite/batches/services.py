"""Writes for batches: create (files, ZIP, paths), add files, cancel, finish.

A call stores its files all or nothing: one transaction holds the batch's new items and jobs, and a
failure leaves no row and no file. Only the batch's own row is locked (never its owner's), so storing a
batch never waits on workers finishing its earlier jobs. After commit the jobs are sent in chunks of
``BATCH_CHUNK_SIZE`` (``birdsite.classification.queue``). A file is stored and classified once per owner
(SHA-256): a second copy becomes a DUPLICATE item pointing at the earlier job.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from birdsite.batches import archives, push
from birdsite.batches.models import Batch, BatchItem
from birdsite.classification import queue
from birdsite.errors import Refused
from birdsite.photos.images import UploadRejected
from birdsite.photos.models import ClassificationJob, Photo
from birdsite.photos.services import photo_create

log = logging.getLogger(__name__)
Kind = BatchItem.Kind
JobStatus = ClassificationJob.Status
CANCELLED_REASON = "Cancelled with its batch."


class BatchRefused(Refused):
    """A request about a batch we refuse; ``code`` is stable (for the API), ``message`` is for people."""


@dataclass(frozen=True)
class Incoming:
    """One file on its way into a batch: its bytes, or why it was refused before we read it."""

    name: str
    data: bytes | None = None
    refusal: UploadRejected | None = None


FileLike = UploadedFile | Path | tuple[str, bytes] | Incoming


def _too_large(size: int) -> UploadRejected:
    limit = settings.UPLOAD_MAX_BYTES
    return UploadRejected("too_large", f"The file is {size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB.")


def _incoming(item: FileLike) -> Incoming:
    limit = settings.UPLOAD_MAX_BYTES
    if isinstance(item, Incoming):
        return item
    if isinstance(item, tuple):
        name, data = item
        return Incoming(name, None, _too_large(len(data))) if len(data) > limit else Incoming(name, data)
    if isinstance(item, Path):
        try:
            size = item.stat().st_size
            return (
                Incoming(item.name, None, _too_large(size))
                if size > limit
                else Incoming(item.name, item.read_bytes())
            )
        except OSError as exc:
            return Incoming(
                item.name, None, UploadRejected("unreadable", f"The file could not be read ({exc}).")
            )
    name = (item.name or "upload").rsplit("/", 1)[-1]
    if item.size is not None and item.size > limit:
        return Incoming(name, None, _too_large(item.size))
    item.seek(0)
    return Incoming(name, item.read(limit + 1))


def _earlier_job(owner_id: int, sha256: str) -> ClassificationJob | None:
    """The first job of this owner on the same content that did not fail (then: classify again)."""
    jobs = ClassificationJob.objects.filter(owner_id=owner_id, photo__sha256=sha256)
    return jobs.exclude(status=JobStatus.FAILED).order_by("created_at", "id").first()


def _item_for(batch: Batch, position: int, incoming: Incoming, created: list[Photo]) -> BatchItem:
    item = BatchItem(batch=batch, position=position, name=incoming.name[-500:] or f"file {position + 1}")
    refusal = incoming.refusal
    if refusal is None and incoming.data is not None:
        sha256 = hashlib.sha256(incoming.data).hexdigest()
        earlier = _earlier_job(batch.owner_id, sha256)
        if earlier is not None:
            item.kind, item.job, item.reason = Kind.DUPLICATE, earlier, "Same photo as an earlier upload."
            return item
        photo = Photo.objects.filter(owner_id=batch.owner_id, sha256=sha256).first()
        if photo is None:
            try:  # photo_create is its own savepoint: a refused file rolls back alone, the batch goes on
                photo = photo_create(owner=batch.owner, data=incoming.data, filename=item.name)
            except UploadRejected as exc:
                refusal = exc
            else:
                created.append(photo)
        if photo is not None:
            item.kind = Kind.JOB
            item.job = ClassificationJob.objects.create(owner_id=batch.owner_id, photo=photo, batch=batch)
            return item
    refusal = refusal or UploadRejected("empty", "The file is empty.")
    item.kind, item.code, item.reason = Kind.REFUSED, refusal.code, refusal.message
    return item


def _remove_files(photos: list[Photo]) -> None:
    """The files of photos whose rows were rolled back."""
    for photo in photos:
        for f in (photo.image, photo.thumbnail):
            if f:
                try:
                    f.storage.delete(f.name)
                except OSError:
                    log.warning("could not delete %s after a failed batch", f.name, exc_info=True)


def _store(batch_id: int, files: Iterable[FileLike], created: list[Photo]) -> None:
    """All the files into the batch, in the caller's transaction; the jobs are sent after commit."""
    batch = Batch.objects.select_for_update(of=("self",)).get(pk=batch_id)
    if batch.status == Batch.Status.CANCELLED:
        raise BatchRefused("cancelled", "This batch was cancelled.")
    last = batch.items.aggregate(n=Max("position"))["n"]
    position = 0 if last is None else last + 1
    items: list[BatchItem] = []
    job_ids: list[int] = []
    for incoming in map(_incoming, files):
        items.append(_item_for(batch, position, incoming, created))
        position += 1
        if len(items) >= settings.BATCH_CHUNK_SIZE:
            BatchItem.objects.bulk_create(items)
            job_ids += [i.job_id for i in items if i.kind == Kind.JOB and i.job_id is not None]
            items = []
    BatchItem.objects.bulk_create(items)
    job_ids += [i.job_id for i in items if i.kind == Kind.JOB and i.job_id is not None]
    queue.chunks_send_on_commit(job_ids)


def _add_files(batch: Batch, files: Iterable[FileLike], *, expected: int | None = None) -> Batch:
    """Store ``files`` into ``batch`` all or nothing (``expected`` raises its count in the same go)."""
    created: list[Photo] = []
    try:
        with transaction.atomic():
            if expected is not None:
                Batch.objects.filter(pk=batch.pk, expected__lt=expected).update(expected=expected)
            _store(batch.pk, files, created)
    except BaseException:
        _remove_files(created)
        raise
    batch_check_finished(batch_id=batch.pk)
    push.batch_changed(batch.pk)
    batch.refresh_from_db()
    return batch


def _check_count(count: int) -> None:
    if count > settings.BATCH_MAX_FILES:
        raise BatchRefused(
            "too_many_files", f"{count} files; a batch takes at most {settings.BATCH_MAX_FILES}."
        )


def batch_start(
    *, user: AbstractBaseUser, expected: int = 0, name: str = "", source: str = Batch.Source.FILES
) -> Batch:
    """An empty RUNNING batch that will not finish before ``expected`` files arrived."""
    _check_count(expected)
    return Batch.objects.create(owner_id=user.pk, expected=expected, name=name[:255], source=source)


def batch_create(
    *,
    user: AbstractBaseUser,
    files: Iterable[FileLike],
    expected: int | None = None,
    name: str = "",
    source: str = Batch.Source.FILES,
) -> Batch:
    """A batch of ``files`` (uploads, paths or ``(name, bytes)``); ``expected`` when more will follow."""
    files = list(files)
    if not files and not expected:
        raise BatchRefused("empty", "Choose at least one photo.")
    total = max(expected or 0, len(files))
    with transaction.atomic():  # the batch row and its files, or nothing
        batch = batch_start(
            user=user, expected=total, name=name or f"{total} photo{'s' if total != 1 else ''}", source=source
        )
        return _add_files(batch, files)


def _running_batch(user: AbstractBaseUser, batch_id: int) -> Batch:
    batch = Batch.objects.get(pk=batch_id, owner_id=user.pk)  # DoesNotExist for anyone else's batch
    if batch.status == Batch.Status.CANCELLED:
        raise BatchRefused("cancelled", "This batch was cancelled.")
    return batch


def batch_add_files(*, user: AbstractBaseUser, batch_id: int, files: Iterable[FileLike]) -> Batch:
    """More files for a batch (the page uploads a big selection in groups)."""
    files = list(files)
    batch = _running_batch(user, batch_id)
    count = batch.items.count() + len(files)
    _check_count(count)
    return _add_files(batch, files, expected=count)


def _limits() -> archives.Limits:
    return archives.Limits(
        max_members=settings.BATCH_ZIP_MAX_MEMBERS,
        max_total_bytes=settings.BATCH_ZIP_MAX_BYTES,
        max_ratio=settings.BATCH_ZIP_MAX_RATIO,
        max_file_bytes=settings.UPLOAD_MAX_BYTES,
    )


def _archive_files(archive: IO[bytes]) -> tuple[int, Iterator[Incoming], Any]:
    zf, infos = archives.check_archive(archive, _limits())
    members = archives.iter_members(zf, infos, max_file_bytes=settings.UPLOAD_MAX_BYTES)
    return len(infos), (Incoming(n, d, r) for n, d, r in members), zf


def batch_create_from_zip(
    *, user: AbstractBaseUser, archive: IO[bytes] | UploadedFile | Path, name: str = ""
) -> Batch:
    """A batch of the photos in one ZIP, checked first: ``archives.ArchiveRefused`` writes nothing."""
    handle: Any = archive.open("rb") if isinstance(archive, Path) else archive
    try:
        count, files, zf = _archive_files(handle)
        with zf:
            _check_count(count)
            label = name or getattr(archive, "name", "") or "archive.zip"
            with transaction.atomic():  # the batch row and its files, or nothing
                batch = batch_start(
                    user=user, expected=count, name=Path(str(label)).name, source=Batch.Source.ZIP
                )
                return _add_files(batch, files)
    finally:
        if isinstance(archive, Path):
            handle.close()


def batch_add_archive(*, user: AbstractBaseUser, batch_id: int, archive: Path) -> Batch:
    """The photos of one ZIP into an existing batch (``import_photos`` with a .zip path)."""
    batch = _running_batch(user, batch_id)
    with archive.open("rb") as handle:
        count, files, zf = _archive_files(handle)
        with zf:
            total = batch.items.count() + count
            _check_count(total)
            return _add_files(batch, files, expected=total)


def batch_check_finished(*, batch_id: int) -> bool:
    """RUNNING → FINISHED once every expected file arrived and none of its own jobs is unfinished."""
    batch = Batch.objects.filter(pk=batch_id, status=Batch.Status.RUNNING).first()
    if batch is None:
        return False
    if batch.items.count() < batch.expected:
        return False
    unfinished = batch.items.filter(kind=Kind.JOB, job__status__in=[JobStatus.PENDING, JobStatus.RUNNING])
    if unfinished.exists():
        return False
    return bool(
        Batch.objects.filter(pk=batch_id, status=Batch.Status.RUNNING).update(
            status=Batch.Status.FINISHED, finished_at=timezone.now()
        )
    )


def batches_touched(*, batch_ids: Iterable[int]) -> None:
    """After a worker finished some of their jobs: finish the batches if done, and tell the open pages."""
    for batch_id in sorted(set(batch_ids)):
        batch_check_finished(batch_id=batch_id)
        push.batch_changed(batch_id)


@transaction.atomic
def batch_cancel(*, user: AbstractBaseUser, batch_id: int) -> Batch:
    """Stop a batch: jobs not started yet fail as cancelled, running ones finish. Idempotent."""
    batch = Batch.objects.select_for_update(of=("self",)).get(pk=batch_id, owner_id=user.pk)
    if batch.status != Batch.Status.RUNNING:
        return batch
    now = timezone.now()
    own_jobs = batch.items.filter(kind=Kind.JOB).values("job_id")
    # The jobs this cancel stops, by id (locked: a worker cannot claim one meanwhile), so the items are
    # marked from the same set and never found again by their error text.
    stopped = list(
        ClassificationJob.objects.select_for_update()
        .filter(pk__in=own_jobs, status=JobStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ClassificationJob.objects.filter(pk__in=stopped, status=JobStatus.PENDING).update(
        status=JobStatus.FAILED, error=CANCELLED_REASON, progress=100, finished_at=now
    )
    batch.items.filter(kind=Kind.JOB, job_id__in=stopped).update(cancelled=True)
    batch.status, batch.finished_at = Batch.Status.CANCELLED, now
    batch.save(update_fields=["status", "finished_at"])
    transaction.on_commit(lambda: push.batch_changed(batch_id))
    return batch
