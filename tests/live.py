"""Real processes for integration and browser tests: a Celery worker and a daphne server.

Both run as subprocesses against the test database pytest-django created (so tests that use them
need ``transaction=True``), the same Redis, this run's queue and Channels prefix, and one shared
MEDIA_ROOT. One worker runs at a time; it is started once and reused by every test that wants
the same kind (``real`` model or ``fake``).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
SHARED_BIRDS = ROOT.parent / "shared" / "datasets" / "birds"
CUB = SHARED_BIRDS / "cub100"
# How classifier.load() fails while the trained model or its base weights are not there yet;
# any other failure of the load is a bug and fails the test.
NOT_YET_AVAILABLE = ("FileNotFoundError", "ModuleNotFoundError")


def shared_photo(species: str = "American_Goldfinch", number: int = 1) -> Path:
    path = CUB / species / f"{number:04d}.jpg"
    if not path.is_file():
        pytest.skip(f"needs the shared bird photos: {path} is missing (../shared is absent or changed)")
    return path


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("live tests need PostgreSQL: set DATABASE_URL (make test does)")
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def live_env(media_root: Path, **extra: str) -> dict[str, str]:
    if not settings.REDIS_URL:
        pytest.skip("live tests need Redis: set REDIS_URL (make test does)")
    env = dict(os.environ)
    env.update(
        DATABASE_URL=test_database_url(),
        MEDIA_ROOT=str(media_root),
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="birdsite.settings",
        PYTHONUNBUFFERED="1",
        # Every test logs in from 127.0.0.1: one test's failed logins must not lock the next ones out of the
        # shared live site (the throttle itself is tested in tests/accounts).
        LOGIN_FAILURE_LIMIT="100000",
    )
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    info: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text())
            if found:
                return found
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.text()[-3000:]}")
            time.sleep(0.05)  # polling its log; the timeout is what bounds the wait
        raise TimeoutError(f"{self.name}: no {pattern!r} within {timeout}s:\n{self.text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(name: str, argv: list[str], env: dict[str, str]) -> Proc:
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Proc(name, process, log)


def start_worker(kind: str, media_root: Path) -> Proc:
    """``kind`` is ``real`` (the served model, preloaded) or ``fake`` (tests.fakes.FakeClassifier)."""
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    args = ["worker", "--pool=solo", "-Q", queue, "-n", f"{queue}-{kind}@%h", "--loglevel=INFO"]
    args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    if kind == "fake":
        argv = [sys.executable, "-m", "tests.fake_worker", *args]
        env = live_env(media_root, MODEL_PRELOAD="false")
    else:
        argv = [sys.executable, "-m", "celery", "-A", "workers", *args]
        env = live_env(media_root, MODEL_PRELOAD="true")
    worker = start(f"worker-{kind}", argv, env)
    worker.wait_for(r"ready\.", timeout=120)
    if kind == "real":
        loaded = worker.wait_for(r"model (\S+) loaded in|model preload failed", timeout=600)
        if loaded.group(1) is None:
            # The worker's gate names the load's exception (workers/gate.py): "ExceptionType: message".
            why = worker.wait_for(r"takes no jobs until it is restarted: (.*)", timeout=60).group(1)
            worker.stop()
            if why.startswith(NOT_YET_AVAILABLE):
                pytest.skip(f"the real model cannot be loaded yet (classifier.load() failed: {why})")
            pytest.fail(f"classifier.load() is broken in the worker: {why} (see {worker.log})")
        worker.info["model_version"] = loaded.group(1)
    return worker


def start_web(media_root: Path) -> tuple[Proc, str]:
    port = free_port()
    argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "birdsite.asgi:application"]
    web = start("web", argv, live_env(media_root))
    web.wait_for(r"Listening on TCP address", timeout=60)
    return web, f"http://127.0.0.1:{port}"
