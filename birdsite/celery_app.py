"""The project's Celery app (cookiecutter-django's ``config/celery_app.py``): configured from settings.

The web side sends tasks through it by name (``birdsite.classification.queue``); the tasks themselves
live in ``workers/``, which registers them on this same app, so the web never imports them.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "birdsite.settings")

app = Celery("birdsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.set_default()
