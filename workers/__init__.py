"""The Celery app: ``celery -A workers worker``. Tasks are thin; the work is in birdsite services."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "birdsite.settings")

app = Celery("birdsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["workers"], related_name="tasks")
app.autodiscover_tasks(["workers"], related_name="retrain_tasks")
app.autodiscover_tasks(["workers"], related_name="sweeper")
app.autodiscover_tasks(["workers"], related_name="heartbeat")  # liveness signals, no tasks

__all__ = ["app"]
