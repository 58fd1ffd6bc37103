from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from birdsite.ops import health
from birdsite.ops.services import heartbeat_record


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def beat(
    *,
    hostname: str = "celery@w1",
    pid: int = 101,
    model_version: str | None = None,
    at: datetime | None = None,
    queues: tuple[str, ...] = ("birdsite",),
    ready: bool = True,
    reason: str = "",
):
    """A heartbeat row as workers/heartbeat.py writes it; the active model unless told otherwise."""
    version = health.expected_model_version() if model_version is None else model_version
    at = at or timezone.now()
    return heartbeat_record(
        hostname=hostname,
        pid=pid,
        queues=queues,
        model_version=version,
        ready=ready,
        reason=reason,
        started_at=at,
        now=at,
    )
