"""Thin tasks: load by id, call a service, return. Arguments are ids only (JSON)."""

from __future__ import annotations

import threading

from celery import shared_task
from celery.signals import worker_process_init
from django.conf import settings
from django.db import InterfaceError, OperationalError

from workers import microbatch, model

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


# Jobs are idempotent (claimed by a conditional UPDATE), so late acks and redelivery are safe.
JOB_TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(bind=True, name="workers.classify", **JOB_TASK_OPTIONS)
def classify(self, job_id: int) -> str:  # type: ignore[no-untyped-def]
    # Other uploads waiting right now share this forward pass (workers/microbatch.py).
    outcome = microbatch.jobs_process_together(
        job_id=job_id,
        classify_many=lambda images: model.classify_many(images, top_k=5),
        invalid_image=model.invalid_image_errors(),
        batch_size=settings.BIRDSITE_BATCH_SIZE,
        wait_seconds=settings.BIRDSITE_BATCH_WAIT_MS / 1000,
    )
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in, max_retries=None)
    return outcome.status


@worker_process_init.connect
def _load_model_in_this_process(**_: object) -> None:
    """Runs in each prefork child (and once for the solo pool), i.e. after any fork.

    The load runs in a thread so the child reports "up" to its parent at once; the first task
    waits on the same lock until the model is ready.
    """
    model.set_classifier(None)
    if settings.MODEL_PRELOAD:
        threading.Thread(target=model.preload, name="model-preload", daemon=True).start()
