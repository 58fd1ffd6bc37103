"""The Celery worker: ``celery -A workers worker``. Tasks are thin; the work is in birdsite services."""

from __future__ import annotations

from birdsite.celery_app import app

app.autodiscover_tasks(["workers"], related_name="tasks")
app.autodiscover_tasks(["workers"], related_name="retrain_tasks")
app.autodiscover_tasks(["workers"], related_name="sweeper")
app.autodiscover_tasks(["workers"], related_name="heartbeat")  # liveness signals, no tasks

__all__ = ["app"]
