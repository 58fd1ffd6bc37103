"""Tell the owner's open pages that a job changed (Channels group ``user-<id>``).

Best effort: when no channel layer reaches the page (in-memory layer in another process, Redis
down) the page's polling picks the change up, so a failure here is logged, never raised.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)
_loop_lock = threading.Lock()
_loop: tuple[int, asyncio.AbstractEventLoop] | None = None  # (pid, loop): a forked child makes its own


def push_available() -> bool:
    """False with the in-memory channel layer: the worker cannot reach the page, so it polls."""
    from django.conf import settings

    return "InMemory" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def job_changed(job_id: int) -> None:
    from birdsite.photos.models import ClassificationJob
    from birdsite.photos.payloads import job_payload

    job = ClassificationJob.objects.select_related("photo").filter(pk=job_id).first()
    if job is None:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        group_send(layer, user_group(job.owner_id), {"type": "job.update", "job": job_payload(job)})
    except Exception:
        log.warning("could not push job %s to user %s", job_id, job.owner_id, exc_info=True)


def group_send(layer: Any, group: str, message: dict[str, Any]) -> None:
    """``layer.group_send`` from sync code.

    For Redis, on one event loop kept for the life of the process: ``async_to_sync`` would start a thread
    and a loop, and channels_redis a new connection, for every message (tens of milliseconds each, per job
    of a batch; bench/README.md). Other layers (in-memory, tests) keep ``async_to_sync``'s semantics.
    """
    if type(layer).__module__.startswith("channels_redis"):
        future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), _background_loop())
        future.result(timeout=10)
    else:
        async_to_sync(layer.group_send)(group, message)


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _loop_lock:
        if _loop is None or _loop[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="push-loop", daemon=True).start()
            _loop = (os.getpid(), loop)
        return _loop[1]
