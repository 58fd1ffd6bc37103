"""The batch task: a chunk of job ids in, the model run once over them (see birdsite.batches.processing)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.db import connections

from birdsite.batches import processing, services
from workers import model
from workers.tasks import JOB_TASK_OPTIONS

log = logging.getLogger(__name__)


def open_image(data: bytes) -> Any:
    import classifier

    return classifier.open_image(data)


@shared_task(name="workers.classify_chunk", **JOB_TASK_OPTIONS)
def classify_chunk(job_ids: list[int]) -> dict[str, int]:
    outcome = processing.jobs_process_chunk(
        job_ids=job_ids,
        get_classifier=model.get_classifier,
        open_image=open_image,
        invalid_image=model.invalid_image_errors(),
    )
    if outcome.busy:
        classify_chunk.apply_async((outcome.busy,), countdown=outcome.retry_in)
    return {"succeeded": len(outcome.succeeded), "failed": len(outcome.failed), "busy": len(outcome.busy)}


@worker_ready.connect
def _resume_unfinished_batches(**_: object) -> None:
    """A worker that starts (maybe after one was killed) queues the unfinished batch jobs again."""
    try:
        services.batch_resume()
    except Exception:
        log.exception("could not queue the unfinished batch jobs again")
    finally:
        connections.close_all()  # the parent of a prefork pool must not keep a connection children inherit
