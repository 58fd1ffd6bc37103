"""The sweeper: ``celery -A workers beat`` sends ``workers.sweep`` every ``SWEEP_INTERVAL_SECONDS``
(``CELERY_BEAT_SCHEDULE`` in birdsite/settings.py); a worker runs it. The work is in
``birdsite.classification.recovery`` and, for retrainings, ``birdsite.registry.services``.
``HeartbeatScheduler`` touches ``BEAT_HEARTBEAT_FILE`` on every beat tick, which is what the ``beat``
service's healthcheck looks at.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.beat import PersistentScheduler
from django.conf import settings

from birdsite.classification import queue, recovery
from birdsite.registry import services as registry_services

log = logging.getLogger(__name__)


@shared_task(name="workers.sweep", ignore_result=True, acks_late=False)
def sweep() -> dict[str, int | None]:
    """Release dead workers' jobs and queue again those that never reached the broker."""
    depth = queue.queue_depth()
    report = recovery.jobs_recover(queue_depth=depth).as_dict()
    report["retrainings_sent"] = 0
    # A retraining runs for hours, QUEUED ones wait behind it: a copy per sweep (every few seconds)
    # would pile up, so copies go only into an empty retrain queue, as jobs do into an empty queue.
    if depth is not None and queue.queue_depth([settings.RETRAIN_QUEUE]) == 0:
        report["retrainings_sent"] = registry_services.retrainings_resend()
    return report


class HeartbeatScheduler(PersistentScheduler):
    """celery beat's default scheduler, touching ``BEAT_HEARTBEAT_FILE`` on every tick."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval = super().tick(*args, **kwargs)
        try:
            path = settings.BEAT_HEARTBEAT_FILE
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        except OSError:
            log.warning("beat: could not touch %s", settings.BEAT_HEARTBEAT_FILE, exc_info=True)
        return interval
