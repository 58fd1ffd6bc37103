"""A worker takes jobs only while it can serve them.

A process whose model failed to load, or failed its self-check as it loaded, stops consuming its queues,
says why in its log and in its heartbeat (``ready: false`` with the reason, which /readyz shows), and
stays so until it is restarted: a damaged model file does not mend itself. Jobs it had already received
go back to waiting (``processing``: given back, PENDING) for a worker that can serve them.

Who consumes is not always who loads. With the solo pool one process does both. With prefork the parent
consumes and each child loads its own model after the fork (never the parent: TensorFlow hangs under
prefork), so the parent stops its consumer when one of its pool processes says, in its heartbeat row,
that it cannot serve (``heartbeat`` asks at each of the parent's beats).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from typing import Any

from celery.signals import worker_ready

from workers import model

log = logging.getLogger(__name__)
_lock = threading.Lock()
_consumer: Any = None  # this process's Celery consumer (worker_ready's sender); None in a pool child
_stopped = ""  # why this process stopped consuming; "" while it consumes


def reason() -> str:
    """Why this process takes no jobs; "" while it takes them."""
    return _stopped or model.serving().reason


def pool_pids() -> list[int]:
    """The other processes of this worker's pool (prefork children); none for the solo pool."""
    pool = getattr(_consumer, "pool", None)
    try:
        pids = list((pool.info or {}).get("processes") or []) if pool is not None else []
    except Exception:  # a pool that is starting or stopping: the next beat asks again
        return []
    return [pid for pid in pids if pid != os.getpid()]


def check(pool_reasons: Sequence[str] = ()) -> str:
    """Stop consuming when this process's model failed, or a pool process said it cannot serve
    (``pool_reasons``); returns why this process takes no jobs ("" while it takes them)."""
    why = model.serving().reason or next((r for r in pool_reasons if r), "")
    if why:
        _stop(why)
    return reason()


def _stop(why: str) -> None:
    global _stopped
    with _lock:
        consumer = _consumer
        if consumer is None or _stopped:
            return  # a pool child (its parent stops), before worker_ready (which checks), or done already
        _stopped = why
    names = sorted({q.name for q in getattr(consumer.task_consumer, "queues", None) or []})
    log.error("this worker takes no jobs until it is restarted: %s (stops consuming %s)", why, names)
    for name in names:
        # On the consumer's own loop (thread-safe): the consumer is never touched from this thread.
        consumer.call_soon(consumer.cancel_task_queue, name)


def forget_inherited() -> None:
    """In a freshly forked pool process: the parent's consumer and its state are not this process's."""
    global _consumer, _stopped
    with _lock:
        _consumer, _stopped = None, ""


@worker_ready.connect
def _remember_the_consumer(sender: Any = None, **_: object) -> None:
    global _consumer
    with _lock:
        _consumer = sender
    check()  # a solo worker whose model failed before its consumer started
