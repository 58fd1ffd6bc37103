"""Which model directory this worker process should serve: the registry's active version.

Looked up at most every ``MODEL_CHECK_SECONDS`` (one indexed query), so a promotion or a rollback reaches
every worker process within seconds and without a restart; ``workers.model.get_classifier`` reloads when
the answer changes. No registry row active: None, and the process serves ``MODEL_DIR``/the shipped model.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)
_state_lock = threading.Lock()
_checked_at = -math.inf
_directory: str | None = None
_failed: set[str] = set()


def active_directory() -> str | None:
    """The active version's directory (resolved), or None: serve the configured model."""
    global _checked_at, _directory
    now = time.monotonic()
    if now - _checked_at < settings.MODEL_CHECK_SECONDS:
        return _directory
    from birdsite.served import active_model

    try:
        row = active_model()
    except Exception as exc:  # the database is away: keep serving what this process has
        log.warning("could not look up the active model version: %s", exc)
        return _directory
    finally:
        if threading.current_thread() is not threading.main_thread():
            connection.close()  # e.g. the preload thread: never leave its connection open
    directory = str(Path(row.directory).resolve()) if row and row.directory else None
    with _state_lock:
        _checked_at = now
        _directory = None if directory in _failed else directory
    return _directory


def failed(directory: str, *, error: str = "") -> None:
    """A directory that could not be loaded: stop trying it (until this process restarts), and say so in
    the registry (once per process and directory), so staff see why the workers serve another model."""
    global _directory
    with _state_lock:
        first = directory not in _failed
        _failed.add(directory)
        if _directory == directory:
            _directory = None
    if first and apps.is_installed("birdsite.registry"):
        _mark_registry(directory, error)


def _mark_registry(directory: str, error: str) -> None:
    from birdsite.registry.services import model_version_load_failed

    try:
        model_version_load_failed(directory=directory, error=error or "unknown error", worker=_worker_name())
    except Exception as exc:  # the database is away: the log line in workers.model still says it
        log.warning("could not record the failed load of %s in the registry: %s", directory, exc)
    finally:
        if threading.current_thread() is not threading.main_thread():
            connection.close()


def _worker_name() -> str:
    return f"worker {socket.gethostname()} (pid {os.getpid()})"


def forget() -> None:
    """Look again on the next call (tests; a fresh process)."""
    global _checked_at, _directory
    with _state_lock:
        _checked_at, _directory = -math.inf, None
        _failed.clear()


def directory_of(clf: object) -> str | None:
    path = getattr(getattr(clf, "config", None), "path", None)
    return str(Path(path).resolve()) if path else None
