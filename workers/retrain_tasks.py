"""The retraining task: one registry row id in, a candidate model (or a failed row) out."""

from __future__ import annotations

from celery import shared_task

from birdsite.registry import services


@shared_task(name="workers.retrain", acks_late=True, reject_on_worker_lost=False)
def retrain(version_id: int) -> str:
    # Idempotent: only the QUEUED row is claimed; a second delivery finds it claimed and does nothing.
    row = services.retraining_run(version_id=version_id)
    return row.status if row is not None else "not-claimed"
