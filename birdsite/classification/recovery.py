"""Jobs no worker will pick up by itself, found and queued again (run by the sweeper, workers/sweeper.py).

This is the one recovery path: a worker's start-up republishes nothing. Two ways a job gets stuck:

- RUNNING with an expired lease: its worker died (``kill -9``, out of memory, the machine went away) and
  stopped renewing it (``claims.Lease``). Put back to PENDING with one conditional UPDATE; the dead claim's
  ``attempts`` number no longer matches, so a late answer from it is dropped (``results.jobs_finish``).
  It is published again in the same sweep: its message went with the dead worker (Redis hands it out
  again only after ``CELERY_VISIBILITY_TIMEOUT``). So a dead worker's jobs come back at most
  ``JOB_LEASE_SECONDS`` + ``SWEEP_INTERVAL_SECONDS`` after it died (15 + 5 s by default).
- PENDING with no message: the upload was stored while the broker was down (the publish failed after
  commit and was logged), or the broker lost its queue in a restart. Published again once older than
  ``SWEEP_PENDING_SECONDS`` while the broker's queues are empty, so a long backlog is not flooded with
  copies; older than ``SWEEP_PENDING_MAX_SECONDS`` in any case.

Publishing twice is harmless: a task claims its job with one conditional UPDATE and a second delivery
finds it taken or finished. Single uploads go out as ``workers.classify``, batch jobs as chunks.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from birdsite.classification import claims, queue
from birdsite.photos.models import ClassificationJob

log = logging.getLogger(__name__)
Status = ClassificationJob.Status
MAX_PER_SWEEP = 5000

Publish = Callable[[Sequence[int]], None]


@dataclass(frozen=True)
class SweepReport:
    released: int  # RUNNING jobs with a stale claim, put back to PENDING
    requeued: int  # single uploads published again
    requeued_batch: int  # batch jobs published again (as chunks)
    queue_depth: int | None  # messages waiting in the broker; None: it could not be asked

    def as_dict(self) -> dict[str, int | None]:
        return {
            "released": self.released,
            "requeued": self.requeued,
            "requeued_batch": self.requeued_batch,
            "queue_depth": self.queue_depth,
        }


@transaction.atomic
def jobs_release_stale(*, now: dt.datetime | None = None) -> list[int]:
    """RUNNING jobs whose lease ran out (or, without a lease, older than ``JOB_STALE_SECONDS``) →
    PENDING; returns their ids. Rows a claimer holds locked right now are its to take: skipped."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.JOB_STALE_SECONDS)
    expired = Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, started_at__lt=stale)
    rows = ClassificationJob.objects.select_for_update(skip_locked=True).filter(
        expired, status=Status.RUNNING
    )
    ids = sorted(rows.values_list("pk", flat=True)[:MAX_PER_SWEEP])
    if ids:
        ClassificationJob.objects.filter(pk__in=ids).update(**claims.unclaimed())
        log.warning("released %d job(s) whose worker stopped answering", len(ids))
    return ids


def jobs_waiting_too_long(*, queue_depth: int | None, now: dt.datetime | None = None) -> list[int]:
    """PENDING jobs that should have a message but may not: see the module docstring."""
    if queue_depth is None:
        return []  # the broker cannot be reached: nothing can be published now anyway
    now = now or timezone.now()
    age = settings.SWEEP_PENDING_SECONDS if queue_depth == 0 else settings.SWEEP_PENDING_MAX_SECONDS
    older = now - dt.timedelta(seconds=age)
    pending = ClassificationJob.objects.filter(status=Status.PENDING, created_at__lt=older)
    return list(pending.order_by("pk").values_list("pk", flat=True)[:MAX_PER_SWEEP])


def _batch_job_ids(job_ids: Sequence[int]) -> set[int]:
    jobs = ClassificationJob.objects.filter(pk__in=list(job_ids), batch__isnull=False)
    return set(jobs.values_list("pk", flat=True))


def _publish_single(job_ids: Sequence[int]) -> None:
    for job_id in job_ids:
        if not queue.job_send(job_id):
            return  # the broker went away again: the next sweep tries


def _publish_batch(job_ids: Sequence[int]) -> None:
    queue.chunks_send(job_ids)


def jobs_recover(
    *,
    queue_depth: int | None,
    publish_single: Publish = _publish_single,
    publish_batch: Publish = _publish_batch,
) -> SweepReport:
    """One sweep: release stale claims and publish them again at once, then what waits without a message."""
    released = jobs_release_stale()
    older = [job_id for job_id in jobs_waiting_too_long(queue_depth=queue_depth) if job_id not in released]
    waiting = [*released, *older]
    in_batches = _batch_job_ids(waiting)
    single = [job_id for job_id in waiting if job_id not in in_batches]
    batch = [job_id for job_id in waiting if job_id in in_batches]
    if single:
        publish_single(single)
    if batch:
        publish_batch(batch)
    if waiting:
        log.warning("queued %d single and %d batch job(s) again", len(single), len(batch))
    return SweepReport(len(released), len(single), len(batch), queue_depth)
