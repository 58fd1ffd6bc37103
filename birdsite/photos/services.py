"""Writes for photos and classification jobs: upload, claim, finish, fail, delete."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import BooleanField, Case, CharField, F, FloatField, Q, Value, When
from django.utils import timezone

from birdsite.photos import push
from birdsite.photos import storage as room
from birdsite.photos.exif import read_metadata
from birdsite.photos.images import UploadRejected, check_image
from birdsite.photos.models import ClassificationJob, Photo, Prediction

log = logging.getLogger(__name__)
Status = ClassificationJob.Status


def _read_upload(upload: UploadedFile) -> bytes:
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


def _enqueue(job_id: int) -> None:
    """Publish the job. With the broker down the upload still stands: the row stays PENDING, the failure
    is logged, and the sweeper (``birdsite.photos.recovery``) publishes it once the broker is back."""
    from kombu.exceptions import OperationalError as BrokerError

    from workers.tasks import classify

    try:
        classify.delay(job_id)
    except (BrokerError, OSError):
        log.warning("job %s stored but not queued (broker unreachable); the sweeper will queue it", job_id)


@transaction.atomic
def classification_submit(*, owner: AbstractBaseUser, upload: UploadedFile) -> ClassificationJob:
    """Store the photo, create its job row, and queue the job once the row is committed."""
    photo = photo_create(owner=owner, data=_read_upload(upload), filename=upload.name or "")
    job = ClassificationJob.objects.create(owner_id=owner.pk, photo=photo)
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def job_claim(*, job_id: int) -> int | None:
    """Take the job with one conditional UPDATE; returns the attempt number, or None if not ours.

    A job left RUNNING by a worker that died longer than ``JOB_STALE_SECONDS`` ago may be retaken.
    """
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.JOB_STALE_SECONDS)
    claimable = Q(status=Status.PENDING) | Q(status=Status.RUNNING, started_at__lt=stale)
    taken = ClassificationJob.objects.filter(claimable, pk=job_id).update(
        status=Status.RUNNING, started_at=now, progress=10, attempts=F("attempts") + 1, error=""
    )
    if not taken:
        return None
    return ClassificationJob.objects.values_list("attempts", flat=True).get(pk=job_id)


def jobs_claim_pending(*, job_ids: list[int]) -> dict[int, int]:
    """``job_claim`` for many PENDING jobs with one conditional UPDATE: {job id: attempt} of those taken.

    The claim's own ``started_at`` tells which rows this call took (another claimer's rows differ).
    """
    if not job_ids:
        return {}
    now = timezone.now()
    ClassificationJob.objects.filter(pk__in=job_ids, status=Status.PENDING).update(
        status=Status.RUNNING, started_at=now, progress=10, attempts=F("attempts") + 1, error=""
    )
    taken = ClassificationJob.objects.filter(pk__in=job_ids, status=Status.RUNNING, started_at=now)
    return dict(taken.values_list("pk", "attempts"))


@transaction.atomic
def job_succeed(*, job_id: int, attempt: int, result: dict[str, Any]) -> ClassificationJob | None:
    """Store one model result; only the holder of the current claim (``attempt``) may finish."""
    from birdsite.sightings.services import sighting_create_for_job

    version = str(result["model_version"])
    finished = ClassificationJob.objects.filter(pk=job_id, status=Status.RUNNING, attempts=attempt).update(
        status=Status.SUCCEEDED,
        progress=100,
        model_version=version,
        is_bird=bool(result["is_bird"]),
        bird_score=float(result["bird_score"]),
        finished_at=timezone.now(),
    )
    if not finished:
        log.warning("job %s: claim %s lost before finishing; result dropped", job_id, attempt)
        return None
    job = ClassificationJob.objects.select_related("photo").get(pk=job_id)
    if not job.predictions.filter(model_version=version).exists():
        Prediction.objects.bulk_create(prediction_rows(job.pk, version, result["predictions"]))
    sighting_create_for_job(job=job)
    transaction.on_commit(lambda: push.job_changed(job_id))
    return job


def jobs_claim(*, job_ids: list[int]) -> tuple[dict[int, int], list[dict[str, Any]]]:
    """``job_claim`` for many jobs with one conditional UPDATE (PENDING, or RUNNING with a stale claim).

    Returns ({job id: attempt} of those this call took, the rows of the others: id, status, started_at).
    The claim's own ``started_at`` tells which rows this call took (another claimer's rows differ).
    """
    if not job_ids:
        return {}, []
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.JOB_STALE_SECONDS)
    claimable = Q(status=Status.PENDING) | Q(status=Status.RUNNING, started_at__lt=stale)
    ClassificationJob.objects.filter(claimable, pk__in=job_ids).update(
        status=Status.RUNNING, started_at=now, progress=10, attempts=F("attempts") + 1, error=""
    )
    claims: dict[int, int] = {}
    others: list[dict[str, Any]] = []
    rows = ClassificationJob.objects.filter(pk__in=job_ids).values("pk", "status", "started_at", "attempts")
    for row in rows:
        if row["status"] == Status.RUNNING and row["started_at"] == now:
            claims[row["pk"]] = row["attempts"]
        else:
            others.append(row)
    return claims, others


def _held(claims: dict[int, int]) -> Q:
    """Rows still held by these claims ({job id: attempt}): one condition per attempt number."""
    by_attempt: dict[int, list[int]] = {}
    for job_id, attempt in claims.items():
        by_attempt.setdefault(attempt, []).append(job_id)
    held = Q(pk__in=[])
    for attempt, ids in by_attempt.items():
        held |= Q(pk__in=ids, attempts=attempt)
    return held


@transaction.atomic
def jobs_finish(
    *,
    jobs: dict[int, ClassificationJob],
    succeeded: dict[int, tuple[int, dict[str, Any]]],
    failed: dict[int, tuple[int, str]],
) -> list[int]:
    """``job_succeed``/``job_fail`` for a chunk in one transaction, with a bounded number of queries.

    ``jobs`` are the chunk's rows (with their photos); ``succeeded`` maps job id → (attempt, model result),
    ``failed`` job id → (attempt, reason). Only rows still held by the given claim change; predictions
    already stored for a model version are kept; a job that has a sighting keeps it. Nothing is pushed
    per job (the batch pushes its progress once per chunk). Returns the ids that this call succeeded.
    """
    from birdsite.sightings.services import sightings_create_for_jobs

    now = timezone.now()
    by_reason: dict[str, dict[int, int]] = {}
    for job_id, (attempt, reason) in failed.items():
        by_reason.setdefault(reason[:2000], {})[job_id] = attempt
    for reason, claims in by_reason.items():
        ClassificationJob.objects.filter(_held(claims)).exclude(
            status__in=[Status.SUCCEEDED, Status.FAILED]
        ).update(status=Status.FAILED, error=reason, progress=100, finished_at=now)
    if not succeeded:
        return []
    fence = _held({job_id: attempt for job_id, (attempt, _) in succeeded.items()})
    held = set(
        ClassificationJob.objects.select_for_update()
        .filter(fence, status=Status.RUNNING)
        .values_list("pk", flat=True)
    )
    for job_id in sorted(set(succeeded) - held):
        log.warning("job %s: claim %s lost before finishing; result dropped", job_id, succeeded[job_id][0])
    if not held:
        return []
    done = sorted(held)
    results = {job_id: succeeded[job_id][1] for job_id in done}
    versions = {job_id: str(result["model_version"]) for job_id, result in results.items()}

    def per_job(values: dict[int, Any], field: Any) -> Case:
        return Case(*(When(pk=j, then=Value(v)) for j, v in values.items()), output_field=field)

    ClassificationJob.objects.filter(pk__in=done).update(
        status=Status.SUCCEEDED,
        progress=100,
        model_version=per_job(versions, CharField()),
        is_bird=per_job({j: bool(r["is_bird"]) for j, r in results.items()}, BooleanField()),
        bird_score=per_job({j: float(r["bird_score"]) for j, r in results.items()}, FloatField()),
        finished_at=now,
    )
    stored: dict[int, list[Prediction]] = {}
    for p in Prediction.objects.filter(job_id__in=done).order_by("rank"):
        if p.model_version == versions[p.job_id]:
            stored.setdefault(p.job_id, []).append(p)
    new: list[Prediction] = []
    for job_id in done:
        if job_id in stored:
            continue
        stored[job_id] = prediction_rows(job_id, versions[job_id], results[job_id]["predictions"])
        new.extend(stored[job_id])
    if new:
        Prediction.objects.bulk_create(new)
    finished = []
    for job_id in done:
        job = jobs[job_id]
        job.status, job.progress, job.finished_at = Status.SUCCEEDED, 100, now
        job.model_version = versions[job_id]
        job.is_bird, job.bird_score = bool(results[job_id]["is_bird"]), float(results[job_id]["bird_score"])
        finished.append((job, stored[job_id][0] if stored[job_id] else None))
    sightings_create_for_jobs(jobs=finished)
    return done


def job_fail(*, job_id: int, reason: str, attempt: int | None = None) -> bool:
    """Mark the job failed with a reason people can read; returns whether this call did it."""
    qs = ClassificationJob.objects.filter(pk=job_id).exclude(status__in=[Status.SUCCEEDED, Status.FAILED])
    if attempt is not None:
        qs = qs.filter(attempts=attempt)
    failed = qs.update(status=Status.FAILED, error=reason[:2000], progress=100, finished_at=timezone.now())
    if failed:
        transaction.on_commit(lambda: push.job_changed(job_id))
    return bool(failed)


@dataclass(frozen=True)
class Outcome:
    """What one delivery of the task did; ``retry_in`` asks the task to come back later."""

    status: str
    retry_in: float | None = None


def job_process(
    *,
    job_id: int,
    get_classifier: Callable[[], Any],
    invalid_image: tuple[type[BaseException], ...] = (),
) -> Outcome:
    """Claim, classify and finish one job. Safe to call twice for the same job (idempotent)."""
    attempt = job_claim(job_id=job_id)
    if attempt is None:
        row = ClassificationJob.objects.filter(pk=job_id).values("status", "started_at").first()
        if row is None:
            return Outcome("missing")
        if row["status"] == Status.RUNNING and row["started_at"] is not None:
            # Another delivery holds it (or died holding it): look again once the claim goes stale.
            age = (timezone.now() - row["started_at"]).total_seconds()
            return Outcome("busy", retry_in=max(1.0, settings.JOB_STALE_SECONDS - age + 1))
        return Outcome(row["status"])
    push.job_changed(job_id)
    job = ClassificationJob.objects.select_related("photo").get(pk=job_id)
    try:
        with job.photo.image.open("rb") as fh:
            data = fh.read()
    except OSError as exc:
        job_fail(job_id=job_id, attempt=attempt, reason=f"The stored photo could not be read ({exc}).")
        return Outcome(Status.FAILED)
    try:
        classifier = get_classifier()
    except Exception:
        log.exception("job %s: the model could not be loaded", job_id)
        job_fail(
            job_id=job_id, attempt=attempt, reason="The model is not available on this server right now."
        )
        return Outcome(Status.FAILED)
    try:
        result = classifier.predict([data], top_k=5)[0]
    except invalid_image as exc:
        job_fail(job_id=job_id, attempt=attempt, reason=f"This file could not be read as an image: {exc}")
        return Outcome(Status.FAILED)
    except Exception as exc:
        log.exception("job %s: the classifier failed", job_id)
        job_fail(
            job_id=job_id,
            attempt=attempt,
            reason=f"The classifier failed on this photo ({type(exc).__name__}).",
        )
        return Outcome(Status.FAILED)
    job_succeed(job_id=job_id, attempt=attempt, result=result)
    return Outcome(Status.SUCCEEDED)


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


def prediction_rows(job_id: int, version: str, predictions: list[dict[str, Any]]) -> list[Prediction]:
    """Unsaved Prediction rows for one job's model output, best first."""
    return [
        Prediction(
            job_id=job_id,
            model_version=version,
            rank=rank,
            label=p["label"],
            common_name=p["common_name"],
            scientific_name=p.get("scientific_name") or "",
            confidence=float(p["confidence"]),
            wikipedia_url=p.get("wikipedia_url") or "",
            ebird_code=p.get("ebird_code") or "",
        )
        for rank, p in enumerate(predictions, start=1)
    ]
