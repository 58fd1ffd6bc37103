"""Writes of the ops app: worker heartbeats. (Backups, restores and retention have modules of their own.)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.utils import timezone

from birdsite.ops.models import WorkerHeartbeat

# Rows of processes gone this long are deleted by the next beat of any worker.
FORGET_AFTER = timedelta(days=1)


def heartbeat_record(
    *,
    hostname: str,
    pid: int,
    queues: Sequence[str],
    model_version: str,
    started_at: datetime,
    ready: bool = True,
    reason: str = "",
    now: datetime | None = None,
) -> WorkerHeartbeat:
    """Upsert this process's beat (one row per hostname + pid) and drop rows of long-dead processes.
    ``ready`` False: the process takes no jobs, and ``reason`` says why."""
    now = now or timezone.now()
    row, _ = WorkerHeartbeat.objects.update_or_create(
        hostname=hostname,
        pid=pid,
        defaults={
            "queues": sorted(queues),
            "model_version": model_version or "",
            "ready": ready,
            "reason": reason,
            "started_at": started_at,
            "beat_at": now,
        },
    )
    WorkerHeartbeat.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()
    return row


def heartbeat_forget(*, hostname: str, pid: int) -> None:
    """A process that stops cleanly removes its row, so it does not count as a worker for a minute more."""
    WorkerHeartbeat.objects.filter(hostname=hostname, pid=pid).delete()
