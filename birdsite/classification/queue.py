"""The only module that sends Celery tasks: by name, JSON, ids only, after the row is committed.

Sending by name keeps the web side free of ``workers/`` imports. A broker that cannot be reached never
loses work: the row it was about is committed already (PENDING or QUEUED), the failure is logged as one
line, and the sweeper (``birdsite.classification.recovery``) sends it again once the broker is back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction

from birdsite.celery_app import app

log = logging.getLogger(__name__)

GPU_QUEUE = "gpu"  # batch chunks go here when BIRDSITE_GPU_QUEUE is on (workers/routing.py)
CLASSIFY = "workers.classify"
CLASSIFY_CHUNK = "workers.classify_chunk"
RETRAIN = "workers.retrain"
SWEEP = "workers.sweep"


def send(name: str, args: Sequence[Any], *, countdown: float | None = None) -> bool:
    """Publish one task now; False (logged) when the broker is unreachable. Tests replace this."""
    from kombu.exceptions import OperationalError as BrokerError

    try:
        app.send_task(name, args=list(args), countdown=countdown)
    except (BrokerError, OSError) as exc:
        log.warning(
            "%s%s stored but not queued (broker unreachable: %s); the sweeper sends it", name, args, exc
        )
        return False
    return True


def _after_commit(name: str, args: Sequence[Any]) -> None:
    transaction.on_commit(lambda: send(name, args))


def job_send(job_id: int, *, countdown: float | None = None) -> bool:
    return send(CLASSIFY, [job_id], countdown=countdown)


def job_send_on_commit(job_id: int) -> None:
    _after_commit(CLASSIFY, [job_id])


def chunks_send(job_ids: Sequence[int], *, countdown: float | None = None) -> int:
    """Batch jobs as tasks of at most ``BATCH_CHUNK_SIZE``; returns how many jobs were sent."""
    size = settings.BATCH_CHUNK_SIZE
    ids = list(job_ids)
    for start in range(0, len(ids), size):
        if not send(CLASSIFY_CHUNK, [ids[start : start + size]], countdown=countdown):
            return start  # the broker is away: the rest stay PENDING for the sweeper
    return len(ids)


def chunks_send_on_commit(job_ids: Sequence[int]) -> None:
    ids = list(job_ids)
    if ids:
        transaction.on_commit(lambda: chunks_send(ids))


def retrain_send_on_commit(version_id: int) -> None:
    _after_commit(RETRAIN, [version_id])


def queues_to_watch() -> list[str]:
    """The queues classification jobs wait in (the retrain queue is not one)."""
    queues = [settings.CELERY_TASK_DEFAULT_QUEUE]
    if settings.GPU_QUEUE_ENABLED:
        queues.append(GPU_QUEUE)
    return queues


def queue_depths(queues: Sequence[str] | None = None) -> dict[str, int] | None:
    """Messages waiting in each queue (not those a worker holds), or None if the broker cannot be asked."""
    from kombu.exceptions import ChannelError

    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=5)
            channel = conn.default_channel
            depths: dict[str, int] = {}
            for name in queues or queues_to_watch():
                try:
                    depths[name] = channel.queue_declare(queue=name, passive=True).message_count
                except ChannelError:
                    depths[name] = 0  # no such queue yet: nothing waits in it
                    channel = conn.channel()
            return depths
    except Exception:
        log.warning("the broker cannot be asked how many messages wait", exc_info=True)
        return None


def queue_depth(queues: Sequence[str] | None = None) -> int | None:
    depths = queue_depths(queues)
    return None if depths is None else sum(depths.values())
