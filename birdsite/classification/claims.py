"""Claiming jobs: one conditional UPDATE takes many rows, each with a lease and a fencing token.

- ``attempts`` is bumped by every claim; a result is stored only with the number its claim got
  (``results``), so the late answer of a claim that was taken over is dropped.
- ``lease_expires_at``: a worker renews the lease of what it holds every ``JOB_LEASE_RENEW_SECONDS``
  (``Lease``). A worker that died stops renewing, and its jobs may be claimed again once the lease ran
  out — seconds, not the old 10-minute stale timeout.
- ``claimed_by``: the Celery task id that holds the claim. The same task delivered again (a retry, or the
  redelivery after its pool process was killed) recognises its own claim and takes it again at once.
- A claim is given back unfinished (``jobs_release``) when its worker has no model to serve it: the job
  waits again (PENDING), as if never claimed, for a worker that can.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from birdsite.photos.models import ClassificationJob

log = logging.getLogger(__name__)
Status = ClassificationJob.Status


def claimable(*, now: dt.datetime, token: str = "") -> Q:
    """Rows a claimer may take: PENDING, RUNNING with an expired lease, or RUNNING under its own token."""
    stale = now - dt.timedelta(seconds=settings.JOB_STALE_SECONDS)
    expired = Q(status=Status.RUNNING) & (
        Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, started_at__lt=stale)
    )
    mine = Q(status=Status.RUNNING, claimed_by=token) if token else Q(pk__in=[])
    return Q(status=Status.PENDING) | expired | mine


@dataclass
class Claimed:
    """What one claim call took ({job id: attempt}) and what it found held by others (and until when)."""

    taken: dict[int, int] = field(default_factory=dict)
    busy: list[int] = field(default_factory=list)
    done: list[int] = field(default_factory=list)  # finished, or missing: nothing to do
    states: dict[int, str] = field(default_factory=dict)  # the status of each ``done`` job ("missing")
    retry_in: float | None = None  # when the first busy lease runs out


def jobs_claim(*, job_ids: Sequence[int], token: str = "", pending_only: bool = False) -> Claimed:
    """Take what can be taken of ``job_ids`` with one conditional UPDATE; report the rest.

    The claim's own ``started_at`` tells which rows this call took (another claimer's rows differ).
    ``pending_only`` takes PENDING rows alone (jobs taken along into a micro-batch).
    """
    claimed = Claimed()
    ids = list(dict.fromkeys(job_ids))
    if not ids:
        return claimed
    now = timezone.now()
    lease = now + dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)
    condition = Q(status=Status.PENDING) if pending_only else claimable(now=now, token=token)
    ClassificationJob.objects.filter(condition, pk__in=ids).update(
        status=Status.RUNNING,
        started_at=now,
        lease_expires_at=lease,
        claimed_by=token[:64],
        progress=settings.JOB_PROGRESS_CLAIMED,
        attempts=F("attempts") + 1,
        error="",
    )
    rows = ClassificationJob.objects.filter(pk__in=ids).values(
        "pk", "status", "started_at", "attempts", "lease_expires_at"
    )
    found = {row["pk"]: row for row in rows}
    for job_id in ids:
        row = found.get(job_id)
        if row is None:
            claimed.done.append(job_id)
            claimed.states[job_id] = "missing"
        elif row["status"] == Status.RUNNING and row["started_at"] == now:
            claimed.taken[job_id] = row["attempts"]
        elif row["status"] in (Status.PENDING, Status.RUNNING):
            claimed.busy.append(job_id)
            wait = _until_claimable(row, now)
            claimed.retry_in = wait if claimed.retry_in is None else min(claimed.retry_in, wait)
        else:
            claimed.done.append(job_id)
            claimed.states[job_id] = row["status"]
    return claimed


def _until_claimable(row: dict[str, Any], now: dt.datetime) -> float:
    if row["lease_expires_at"] is not None:
        until = row["lease_expires_at"]
    elif row["started_at"] is not None:
        until = row["started_at"] + dt.timedelta(seconds=settings.JOB_STALE_SECONDS)
    else:
        until = now
    return max(1.0, (until - now).total_seconds() + 1)


def unclaimed() -> dict[str, Any]:
    """The columns of a job that waits for a claim again (given back, or its worker died)."""
    return {
        "status": Status.PENDING,
        "started_at": None,
        "progress": 0,
        "lease_expires_at": None,
        "claimed_by": "",
        "error": "",
    }


def jobs_release(claims: dict[int, int]) -> list[int]:
    """Give back, unfinished, the jobs these claims still hold ({job id: attempt}): PENDING again.

    ``attempts`` keeps its number (a fencing token only grows), so a late answer of this claim is dropped
    as any taken-over claim's is. Returns the ids given back (a claim taken over meanwhile is not)."""
    if not claims:
        return []
    ClassificationJob.objects.filter(held(claims), status=Status.RUNNING).update(**unclaimed())
    given_back = ClassificationJob.objects.filter(held(claims), status=Status.PENDING)
    return sorted(given_back.values_list("pk", flat=True))


def held(claims: dict[int, int]) -> Q:
    """Rows still held by these claims ({job id: attempt}): one condition per attempt number."""
    by_attempt: dict[int, list[int]] = {}
    for job_id, attempt in claims.items():
        by_attempt.setdefault(attempt, []).append(job_id)
    condition = Q(pk__in=[])
    for attempt, ids in by_attempt.items():
        condition |= Q(pk__in=ids, attempts=attempt)
    return condition


def leases_renew(claims: dict[int, int]) -> int:
    """Push the lease of the rows these claims still hold; returns how many."""
    if not claims:
        return 0
    until = timezone.now() + dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)
    return ClassificationJob.objects.filter(held(claims), status=Status.RUNNING).update(
        lease_expires_at=until
    )


class Lease:
    """Renews the claims' lease from a thread while the model runs (``with Lease(claims): ...``).

    The thread has its own database connection (Django's are per thread) and closes it when done.
    """

    def __init__(self, claims: dict[int, int], *, every: float | None = None) -> None:
        self.claims = dict(claims)
        self.every = settings.JOB_LEASE_RENEW_SECONDS if every is None else every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    leases_renew(self.claims)
                except Exception as exc:  # the database is away for a moment: the next tick tries again
                    log.warning("could not renew the lease of jobs %s: %s", sorted(self.claims), exc)
        finally:
            connection.close()

    def __enter__(self) -> Lease:
        if self.claims:
            self._thread = threading.Thread(target=self._run, name="job-lease", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def pending_uploads(*, exclude: Iterable[int], limit: int) -> list[int]:
    """Ids of PENDING single-upload jobs (no batch), oldest first: candidates for a micro-batch."""
    if limit <= 0:
        return []
    pending = ClassificationJob.objects.filter(status=Status.PENDING, batch__isnull=True)
    pending = pending.exclude(pk__in=list(exclude))
    return list(pending.order_by("pk").values_list("pk", flat=True)[:limit])
