"""Single uploads that wait together share one forward pass.

The task that claimed an upload looks, for at most ``BIRDSITE_BATCH_WAIT_MS``, for other PENDING uploads
and claims them too, with one conditional UPDATE (``jobs_claim_pending``, fenced like ``job_claim``), up to
``BIRDSITE_BATCH_SIZE`` jobs. The rows stay the truth: every job is finished with its own fenced
``job_succeed``/``job_fail``, and the tasks of the jobs taken along find them finished and do nothing.
Jobs of a bulk batch (``birdsite.batches``) are left to their own chunk tasks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.apps import apps

from birdsite.photos import push, services
from birdsite.photos.models import ClassificationJob
from workers.model import ModelUnavailable

log = logging.getLogger(__name__)
Status = ClassificationJob.Status
Classify = Callable[[Sequence[bytes]], list[Any]]  # one result dict, or the exception, per image


def waiting_uploads(*, exclude: Sequence[int], limit: int) -> list[int]:
    """Ids of PENDING single-upload jobs, oldest first."""
    if limit <= 0:
        return []
    pending = ClassificationJob.objects.filter(status=Status.PENDING).exclude(pk__in=list(exclude))
    if apps.is_installed("birdsite.batches"):
        batch_item = apps.get_model("batches", "BatchItem")
        pending = pending.exclude(pk__in=batch_item.objects.filter(job__isnull=False).values("job_id"))
    return list(pending.order_by("pk").values_list("pk", flat=True)[:limit])


def claim_waiting(claims: dict[int, int], *, batch_size: int, wait_seconds: float) -> None:
    """Add to ``claims`` (job id -> attempt) what other uploads can be claimed within ``wait_seconds``."""
    deadline = time.monotonic() + wait_seconds
    while len(claims) < batch_size:
        waiting = waiting_uploads(exclude=list(claims), limit=batch_size - len(claims))
        # One conditional UPDATE for all; rows another worker got first are simply not in the answer.
        # No "running" push for these: the result follows within the same pass.
        claims.update(services.jobs_claim_pending(job_ids=waiting))
        if len(claims) >= batch_size or time.monotonic() >= deadline:
            return
        time.sleep(min(0.002, max(0.0, deadline - time.monotonic())))


def jobs_process_together(
    *,
    job_id: int,
    classify_many: Classify,
    invalid_image: tuple[type[BaseException], ...] = (),
    batch_size: int = 1,
    wait_seconds: float = 0.0,
) -> services.Outcome:
    """``services.job_process`` for ``job_id``, with other waiting uploads in the same forward pass."""
    attempt = services.job_claim(job_id=job_id)
    if attempt is None:  # not ours (finished, missing, held elsewhere): job_process says what to do
        return services.job_process(job_id=job_id, get_classifier=lambda: None, invalid_image=invalid_image)
    push.job_changed(job_id)
    claims = {job_id: attempt}
    claim_waiting(claims, batch_size=batch_size, wait_seconds=wait_seconds)
    jobs = ClassificationJob.objects.select_related("photo").in_bulk(list(claims))
    data: dict[int, bytes] = {}
    for jid, job_attempt in claims.items():
        try:
            with jobs[jid].photo.image.open("rb") as fh:
                data[jid] = fh.read()
        except OSError as exc:
            services.job_fail(
                job_id=jid, attempt=job_attempt, reason=f"The stored photo could not be read ({exc})."
            )
    outcomes = _classify(data, claims, classify_many, invalid_image)
    return services.Outcome(outcomes.get(job_id, Status.FAILED))


def _classify(
    data: dict[int, bytes],
    claims: dict[int, int],
    classify_many: Classify,
    invalid_image: tuple[type[BaseException], ...],
) -> dict[int, str]:
    if not data:
        return {}
    ids = list(data)
    try:
        results = classify_many([data[jid] for jid in ids])
    except Exception as exc:
        log.exception("jobs %s: the classifier failed", ids)
        reason = (
            "The model is not available on this server right now."
            if isinstance(exc, ModelUnavailable)
            else f"The classifier failed on this photo ({type(exc).__name__})."
        )
        for jid in ids:
            services.job_fail(job_id=jid, attempt=claims[jid], reason=reason)
        return {jid: Status.FAILED for jid in ids}
    outcomes: dict[int, str] = {}
    for jid, result in zip(ids, results, strict=True):
        if isinstance(result, invalid_image):
            reason = f"This file could not be read as an image: {result}"
            services.job_fail(job_id=jid, attempt=claims[jid], reason=reason)
            outcomes[jid] = Status.FAILED
        elif isinstance(result, BaseException):
            reason = f"The classifier failed on this photo ({type(result).__name__})."
            services.job_fail(job_id=jid, attempt=claims[jid], reason=reason)
            outcomes[jid] = Status.FAILED
        else:
            services.job_succeed(job_id=jid, attempt=claims[jid], result=result)
            outcomes[jid] = Status.SUCCEEDED
    if len(ids) > 1:
        log.info("jobs %s classified in one forward pass", ids)
    return outcomes
