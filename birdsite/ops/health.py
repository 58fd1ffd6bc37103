"""Readiness: can this installation take a photo and answer it? Database, broker, a live worker, its model.

Liveness (/healthz) asks nothing of this module: a process that answers HTTP is up. A worker process
that takes no jobs (its model failed to load or its self-check) beats ``ready`` False with the reason,
which the model check's detail repeats, so staff read why without opening the worker's log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import QuerySet
from django.utils import timezone

from birdsite.ops.models import WorkerHeartbeat
from birdsite.served import served_model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Readiness:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_dict(self, *, details: bool = True) -> dict[str, object]:
        status: dict[str, object] = {"status": "ok" if self.ok else "unavailable"}
        if not details:
            return status
        return status | {"checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in self.checks}}


def broker_queue_depths() -> dict[str, int] | None:
    """Messages waiting per queue the site sends to, or None when the broker cannot be asked."""
    from birdsite.classification.queue import queue_depths, queues_to_watch

    return queue_depths(queues_to_watch())


def expected_model_version() -> str:
    """The version workers should have loaded (``birdsite.served.served_model``)."""
    return served_model().version


def _fresh(now: datetime | None = None) -> QuerySet[WorkerHeartbeat]:
    since = (now or timezone.now()) - timedelta(seconds=settings.WORKER_HEARTBEAT_STALE_SECONDS)
    return WorkerHeartbeat.objects.filter(beat_at__gte=since)


def fresh_heartbeats(*, now: datetime | None = None) -> list[WorkerHeartbeat]:
    return list(_fresh(now))


def processes_not_ready(*, hostname: str, pids: list[int]) -> list[str]:
    """Why these processes of one worker (a prefork parent's children) take no jobs, from fresh beats."""
    rows = _fresh().filter(hostname=hostname, pid__in=pids, ready=False).order_by("pid")
    return [reason or "not ready" for reason in rows.values_list("reason", flat=True)]


def _cannot_serve(beats: list[WorkerHeartbeat]) -> str:
    said = sorted({f"{b.hostname} pid {b.pid}: {b.reason or 'not ready'}" for b in beats if not b.ready})
    return f"; {len(said)} cannot serve: " + "; ".join(said) if said else ""


def _database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        log.warning("readiness: database: %s", exc)
        return Check("database", False, "the database does not answer")
    return Check("database", True, connection.vendor)


def _broker() -> Check:
    depths = broker_queue_depths()
    if depths is None:
        return Check("broker", False, "the broker does not answer")
    return Check("broker", True, ", ".join(f"{q}: {n} waiting" for q, n in depths.items()))


def readiness() -> Readiness:
    database = _database()
    checks = [database, _broker()]
    if not database.ok:
        checks += [Check("workers", False, "unknown (no database)"), Check("model", False, "unknown")]
        return Readiness(checks)
    beats = fresh_heartbeats()
    checks.append(
        Check("workers", bool(beats), f"{len(beats)} worker processes beating")
        if beats
        else Check("workers", False, f"no worker beat in {settings.WORKER_HEARTBEAT_STALE_SECONDS:.0f}s")
    )
    expected = expected_model_version()
    serving = sum(1 for b in beats if expected and b.model_version == expected and b.ready)
    why = _cannot_serve(beats)
    if serving:
        checks.append(Check("model", True, f"{expected} loaded in {serving} processes{why}"))
    else:
        loaded = sorted({b.model_version for b in beats if b.model_version}) or ["none"]
        detail = f"{expected or 'the model'} not loaded (loaded: {', '.join(loaded)}){why}"
        checks.append(Check("model", False, detail))
    return Readiness(checks)
