"""A worker's share of a batch: claim a chunk of jobs, run the model once over all of them, finish them.

The chunk is claimed with one conditional UPDATE and finished in one transaction
(``birdsite.photos.services.jobs_claim``/``jobs_finish``), each job fenced by its attempt number as a
single upload is, so a chunk delivered twice, or retaken after its worker died, still stores one result
per job; the batch's page gets one push per chunk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from birdsite.batches.services import batches_touched
from birdsite.photos.models import ClassificationJob
from birdsite.photos.services import jobs_claim, jobs_finish

log = logging.getLogger(__name__)
Status = ClassificationJob.Status


@dataclass
class ChunkOutcome:
    succeeded: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    # Held by another (maybe dead) delivery: the task queues these again after ``retry_in`` seconds.
    busy: list[int] = field(default_factory=list)
    retry_in: float | None = None


def _claim(job_ids: Sequence[int], outcome: ChunkOutcome) -> dict[int, int]:
    ids = list(dict.fromkeys(job_ids))
    taken, others = jobs_claim(job_ids=ids)
    rows = {row["pk"]: row for row in others}
    for job_id in ids:
        if job_id in taken:
            continue
        row = rows.get(job_id)
        if row and row["status"] == Status.RUNNING and row["started_at"] is not None:
            age = (timezone.now() - row["started_at"]).total_seconds()
            wait = max(1.0, settings.JOB_STALE_SECONDS - age + 1)
            outcome.busy.append(job_id)
            outcome.retry_in = wait if outcome.retry_in is None else min(outcome.retry_in, wait)
        else:
            outcome.skipped.append(job_id)
    return {job_id: taken[job_id] for job_id in ids if job_id in taken}


@dataclass
class _Finish:
    """What a chunk will write, all at once at its end (``birdsite.photos.services.jobs_finish``)."""

    succeeded: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    failed: dict[int, tuple[int, str]] = field(default_factory=dict)


def _fail(outcome: ChunkOutcome, finish: _Finish, job_id: int, attempt: int, reason: str) -> None:
    finish.failed[job_id] = (attempt, reason)
    outcome.failed.append(job_id)


def jobs_process_chunk(
    *,
    job_ids: Sequence[int],
    get_classifier: Callable[[], Any],
    open_image: Callable[[bytes], Any],
    invalid_image: tuple[type[BaseException], ...] = (),
) -> ChunkOutcome:
    """Claim what can be claimed, decode each photo (a broken one fails alone), predict once, finish."""
    outcome = ChunkOutcome()
    claims = _claim(job_ids, outcome)
    if not claims:
        return outcome
    jobs = ClassificationJob.objects.select_related("photo").in_bulk(list(claims))
    finish = _Finish()
    images: list[Any] = []
    ready: list[int] = []
    for job_id, attempt in claims.items():
        try:
            with jobs[job_id].photo.image.open("rb") as fh:
                data = fh.read()
        except OSError as exc:
            _fail(outcome, finish, job_id, attempt, f"The stored photo could not be read ({exc}).")
            continue
        try:
            images.append(open_image(data))
        except invalid_image as exc:
            _fail(outcome, finish, job_id, attempt, f"This file could not be read as an image: {exc}")
            continue
        ready.append(job_id)
    if ready:
        _predict(outcome, finish, claims, ready, images, get_classifier)
    done = jobs_finish(jobs=jobs, succeeded=finish.succeeded, failed=finish.failed)
    outcome.succeeded.extend(done)
    outcome.skipped.extend(sorted(set(finish.succeeded) - set(done)))
    batches_touched(job_ids=list(claims))
    return outcome


def _predict(
    outcome: ChunkOutcome,
    finish: _Finish,
    claims: dict[int, int],
    ready: list[int],
    images: list[Any],
    get_classifier: Callable[[], Any],
) -> None:
    try:
        classifier = get_classifier()
    except Exception:
        log.exception("chunk %s: the model could not be loaded", ready)
        for job_id in ready:
            _fail(
                outcome,
                finish,
                job_id,
                claims[job_id],
                "The model is not available on this server right now.",
            )
        return
    try:
        results = classifier.predict(images, top_k=5)
    except Exception as exc:
        log.exception("chunk %s: the classifier failed", ready)
        for job_id in ready:
            _fail(
                outcome,
                finish,
                job_id,
                claims[job_id],
                f"The classifier failed on this photo ({type(exc).__name__}).",
            )
        return
    for job_id, result in zip(ready, results, strict=True):
        finish.succeeded[job_id] = (claims[job_id], result)
