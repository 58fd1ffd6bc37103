"""Thin tasks: ids in, one call into ``birdsite.classification.processing``, a word out (JSON, ids only)."""

from __future__ import annotations

import threading

from celery import shared_task
from celery.signals import worker_process_init
from django.conf import settings
from django.db import InterfaceError, OperationalError

from birdsite.batches.services import batches_touched
from birdsite.classification import processing, queue
from workers import gate, heartbeat, model

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)

# Jobs are idempotent (claimed by a conditional UPDATE, fenced by attempt), so late acks and redelivery
# are safe; the task id is the claim's token, so a redelivered task takes its own claim back at once.
JOB_TASK_OPTIONS = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name=queue.CLASSIFY, **JOB_TASK_OPTIONS)
def classify(self, job_id: int) -> str:  # type: ignore[no-untyped-def]
    # Other uploads waiting right now share this forward pass.
    outcome = processing.jobs_process(
        job_ids=[job_id],
        predict=model.classify_many,
        token=self.request.id or "",
        take_along=processing.upload_take_along(),
        wait_seconds=settings.BIRDSITE_BATCH_WAIT_MS / 1000,
    )
    if outcome.released:
        _cannot_serve()
    if job_id in outcome.released:  # uploads taken along have messages of their own
        raise self.retry(countdown=processing.unserved_retry_in(self.request.retries), max_retries=None)
    if outcome.busy:
        raise self.retry(countdown=outcome.retry_in, max_retries=None)
    return outcome.status_of(job_id)


@shared_task(name=queue.CLASSIFY_CHUNK, **JOB_TASK_OPTIONS)
def classify_chunk(self, job_ids: list[int]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    outcome = processing.jobs_process(
        job_ids=job_ids, predict=model.classify_many, token=self.request.id or ""
    )
    batches_touched(batch_ids=outcome.batch_ids)
    if outcome.busy:
        queue.chunks_send(outcome.busy, countdown=outcome.retry_in)
    if outcome.released:
        _cannot_serve()
        countdown = processing.unserved_retry_in(self.request.retries)
        raise self.retry(args=[outcome.released], countdown=countdown, max_retries=None)
    return {"succeeded": len(outcome.succeeded), "failed": len(outcome.failed), "busy": len(outcome.busy)}


def _cannot_serve() -> None:
    """This process's model failed: stop consuming where this process consumes (solo), and beat at once
    so that a prefork parent reads why at its next beat and stops (``workers.gate``)."""
    gate.check()
    heartbeat.beat_soon()


def _preload() -> None:
    if not model.preload():
        _cannot_serve()


@worker_process_init.connect
def _load_model_in_this_process(**_: object) -> None:
    """Runs in each prefork child (and once for the solo pool), i.e. after any fork.

    The load runs in a thread so the child reports "up" to its parent at once; the first task
    waits on the same lock until the model is ready.
    """
    model.set_classifier(None)
    gate.forget_inherited()
    if settings.MODEL_PRELOAD:
        threading.Thread(target=_preload, name="model-preload", daemon=True).start()
