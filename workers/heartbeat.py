"""Worker liveness without ``celery inspect ping``: each worker process beats in a thread.

Every ``WORKER_HEARTBEAT_SECONDS`` a beat upserts the process's ``WorkerHeartbeat`` row (hostname, pid,
queues, loaded model version, whether it takes jobs and if not why), which the web side reads for /readyz,
/metrics and the System page; the worker's main process also rewrites ``WORKER_HEARTBEAT_FILE`` (JSON, and
its mtime), which the docker-compose healthcheck reads (``python -m birdsite.ops.probe worker``).

A thread and not the consumer's event loop, so a worker busy for hours (a retraining on the solo pool) still
counts as alive; a process that is truly gone stops beating. With prefork, the parent (consumer, no model)
and each child (the model) have a row each; the solo pool has one process and one row. The parent's beat
also reads its children's rows: one that cannot serve stops the parent consuming (``workers.gate``).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import datetime
from typing import Any

from celery.signals import (
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)
from django.conf import settings
from django.db import connection
from django.utils import timezone

from workers import gate, model

log = logging.getLogger(__name__)

# The Celery node name, from the worker_ready / worker_process_init signals.
_identity: dict[str, Any] = {"hostname": ""}
_beaters: dict[int, Beater] = {}
_lock = threading.Lock()


def consumed_queues() -> list[str]:
    """The queues this worker reads (-Q), inherited by prefork children from their parent."""
    from workers import app

    return sorted(app.amqp.queues.consume_from or [settings.CELERY_TASK_DEFAULT_QUEUE])


def _pool_reasons() -> list[str]:
    """Why pool processes of this worker cannot serve, from their rows (a prefork parent; else none)."""
    pids = gate.pool_pids()
    if not pids:
        return []
    from birdsite.ops.health import processes_not_ready

    try:
        return processes_not_ready(hostname=_identity["hostname"], pids=pids)
    except Exception as exc:  # the database is away: the next beat asks again
        log.warning("heartbeat: could not read the pool's beats: %s", exc)
        return []


class Beater:
    def __init__(self, *, writes_file: bool) -> None:
        self.pid = os.getpid()
        self.writes_file = writes_file
        self.started_at = timezone.now()
        self.stopped = threading.Event()
        self.woken = threading.Event()
        self.thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.woken.set()

    def wake(self) -> None:
        """Beat now, not in up to ``WORKER_HEARTBEAT_SECONDS`` (the process's state changed)."""
        self.woken.set()

    def _run(self) -> None:
        while not self.stopped.is_set():
            self.beat()
            self.woken.wait(settings.WORKER_HEARTBEAT_SECONDS)
            self.woken.clear()

    def beat(self) -> None:
        from birdsite.ops.services import heartbeat_record

        try:
            model.follow_the_registry()
        except Exception:
            log.warning("heartbeat: could not switch to the active model", exc_info=True)
        why = gate.check(pool_reasons=_pool_reasons())
        serving = model.serving()
        record = {
            "hostname": _identity["hostname"] or f"celery@{os.uname().nodename}",
            "pid": self.pid,
            "queues": consumed_queues(),
            "model_version": serving.model_version,
            "ready": not why,
            "reason": why,
            "started_at": self.started_at,
        }
        if self.writes_file:
            write_heartbeat_file({**record, "engine": serving.engine})
        try:
            heartbeat_record(**record)
        except Exception as exc:  # the database is away: the file still says the process lives
            log.warning("heartbeat: could not record the beat: %s", exc)
        finally:
            _close_thread_connection()

    def forget(self) -> None:
        from birdsite.ops.services import heartbeat_forget

        try:
            heartbeat_forget(hostname=_identity["hostname"], pid=self.pid)
        except Exception as exc:
            log.warning("heartbeat: could not remove the row: %s", exc)
        finally:
            _close_thread_connection()


def _close_thread_connection() -> None:
    # The beat thread's own connection: never one a later fork inherits open (model_switch does the same).
    if threading.current_thread() is not threading.main_thread():
        connection.close()


def write_heartbeat_file(record: dict[str, Any]) -> None:
    path = settings.WORKER_HEARTBEAT_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(json.dumps(record, default=_iso), encoding="utf-8")
        partial.replace(path)  # the healthcheck never reads half a file
    except OSError:
        log.warning("heartbeat: could not write %s", path, exc_info=True)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def start_beating(*, writes_file: bool) -> Beater:
    """One beater per process (the solo pool gets both the ready and the process-init signal)."""
    with _lock:
        beater = _beaters.get(os.getpid())
        if beater is None:
            beater = _beaters[os.getpid()] = Beater(writes_file=writes_file)
            beater.start()
        else:
            beater.writes_file = beater.writes_file or writes_file
        return beater


def beat_soon() -> None:
    """This process's beat, now: its row says at once that it cannot serve (its parent reads it)."""
    with _lock:
        beater = _beaters.get(os.getpid())
    if beater is not None:
        beater.wake()


def stop_beating() -> None:
    with _lock:
        beater = _beaters.pop(os.getpid(), None)
    if beater is not None:
        beater.stop()
        beater.forget()


@worker_ready.connect
def _beat_in_the_main_process(sender: Any = None, **_: object) -> None:
    _identity["hostname"] = str(getattr(sender, "hostname", "") or _identity["hostname"])
    start_beating(writes_file=True)


@worker_process_init.connect
def _beat_in_a_pool_process(sender: Any = None, **_: object) -> None:
    """Prefork children (sender: the node name) and the solo pool's one process (also gets worker_ready)."""
    if sender:
        _identity["hostname"] = str(sender)
    with _lock:
        _beaters.pop(os.getpid(), None)  # nothing a forked child inherited is its own
    start_beating(writes_file=False)


@worker_process_shutdown.connect
@worker_shutdown.connect
def _stop(**_: object) -> None:
    stop_beating()
