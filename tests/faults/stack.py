"""Real processes for the fault tests: a private Redis and PostgreSQL (on their own ports, in temp dirs,
so the machine's shared servers are never touched), and a site stack of daphne + Celery worker(s) + beat.

Everything started here is stopped by the test that started it (see ``Stack.close``).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.live import ROOT, Proc, free_port, start

FAKE_JPEG_QUALITY = 90


def _run(argv: list[str], *, user: str | None = None, timeout: float = 60) -> None:
    if user and os.geteuid() == 0:
        argv = ["runuser", "-u", user, "--", *argv]
    subprocess.run(argv, check=True, timeout=timeout, capture_output=True)


class PrivateRedis:
    """``redis-server`` on a free port with no persistence: a stop loses whatever it held."""

    def __init__(self, workdir: Path) -> None:
        if shutil.which("redis-server") is None:
            pytest.fail("redis-server is not installed (the fault tests need it)")
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        argv += ["no", "--dir", str(self.workdir)]
        log = (self.workdir / "redis.log").open("ab")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        import redis

        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.5).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"private redis on {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)
        self.process = None


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.fail(f"PostgreSQL's {name} is not installed under /usr/lib/postgresql/*/bin")
    return found[-1]


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb in a temp dir, own port and socket dir, fsync off)."""

    def __init__(self) -> None:
        self.port = free_port()
        # Its own directory under /tmp: pytest's tmp dirs are private to root, and initdb refuses root.
        workdir = Path(tempfile.mkdtemp(prefix="birdsite-faults-pg-"))
        self.workdir = workdir
        self.dir = workdir / "pgdata"
        self.log = workdir / "postgres.log"
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(workdir, self.user)
        _run([_pg_bin("initdb"), "-D", str(self.dir), "-U", "postgres", "-A", "trust"], user=self.user)
        options = f"-p {self.port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        options += " -c full_page_writes=off -c synchronous_commit=off"
        self.options = options

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/birdsite"

    def _ctl(self, *args: str) -> None:
        argv = [_pg_bin("pg_ctl"), "-D", str(self.dir), "-l", str(self.log), "-o", self.options, "-w", *args]
        _run(argv, user=self.user, timeout=120)

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("-m", "fast", "restart")

    def stop(self) -> None:
        """Stop it for good and delete its files."""
        if (self.dir / "postmaster.pid").exists():
            self._ctl("-m", "immediate", "stop")
        shutil.rmtree(self.workdir, ignore_errors=True)

    def create_database(self) -> None:
        _run([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "birdsite"])


def app_env(**values: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="birdsite.settings", PYTHONUNBUFFERED="1")
    env.update(values)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 180) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=timeout)


@dataclass
class Stack:
    """daphne, worker(s) and beat sharing one environment; ``name`` keeps their logs apart."""

    name: str
    env: dict[str, str]
    procs: list[Proc] = field(default_factory=list)
    url: str = ""

    def web(self) -> Proc:
        port = free_port()
        argv = [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "birdsite.asgi:application",
        ]
        proc = start(f"{self.name}-web", argv, self.env)
        self.procs.append(proc)
        proc.wait_for(r"Listening on TCP address", timeout=60)
        self.url = f"http://127.0.0.1:{port}"
        return proc

    def worker(self, label: str, seconds_per_image: float = 0.2, *, wait: bool = True, **extra: str) -> Proc:
        """A worker with the slow fake model; ``extra`` variables for it alone (say its own MEDIA_ROOT);
        ``wait=False`` returns at once, so several can start side by side (then wait for ``ready.``)."""
        queue = self.env["CELERY_QUEUE"]
        argv = [sys.executable, "-m", "tests.batches.slow_worker", "worker", "--pool=solo", "-Q", queue]
        argv += ["-n", f"{queue}-{label}@%h", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
        argv += ["--without-heartbeat"]
        env = dict(self.env, MODEL_PRELOAD="false", FAKE_SECONDS_PER_IMAGE=str(seconds_per_image), **extra)
        proc = start(f"{self.name}-{label}", argv, env)
        self.procs.append(proc)
        if wait:
            proc.wait_for(r"ready\.", timeout=120)
        return proc

    def beat(self, workdir: Path) -> Proc:
        argv = [sys.executable, "-m", "celery", "-A", "workers", "beat", "--loglevel=INFO"]
        argv += ["-s", str(workdir / "beat-schedule")]
        env = dict(self.env, BEAT_HEARTBEAT_FILE=str(workdir / "beat-heartbeat"))
        proc = start(f"{self.name}-beat", argv, env)
        self.procs.append(proc)
        proc.wait_for(r"beat: Starting", timeout=60)
        return proc

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


def fault_env(
    name: str, *, database_url: str, redis_url: str, media_root: Path, **extra: str
) -> dict[str, str]:
    """Short timings so a fault heals within seconds; a queue of its own so no other worker takes jobs."""
    values = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": str(media_root),
        "CELERY_QUEUE": f"{os.environ['CELERY_QUEUE']}-{name}",
        "CHANNELS_PREFIX": f"{os.environ['CHANNELS_PREFIX']}-{name}",
        "JOB_STALE_SECONDS": "10",
        "SWEEP_INTERVAL_SECONDS": "1",
        "SWEEP_PENDING_SECONDS": "3",
        "BIRDSITE_BATCH_SIZE": "4",
        "UPLOAD_MIN_FREE_BYTES": "0",
        "CACHE_PREFIX": f"{os.environ['CACHE_PREFIX']}-{name}",
        "API_UPLOAD_RATE_USER": "100000/hour",  # the load test uploads hundreds from one address
        "API_UPLOAD_RATE_IP": "100000/hour",
        "LOG_LEVEL": "INFO",
    }
    values.update(extra)
    return app_env(**values)


@contextmanager
def stack(name: str, env: dict[str, str]) -> Iterator[Stack]:
    running = Stack(name, env)
    try:
        yield running
    finally:
        running.close()


class Uploader:
    """A logged-in browser session posting photos to the upload page as the page's script does."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base = base_url
        self.http = requests.Session()
        self.http.get(f"{base_url}/accounts/login/", timeout=30)
        response = self.http.post(
            f"{base_url}/accounts/login/",
            data={"username": username, "password": password},
            headers={"X-CSRFToken": self.http.cookies["csrftoken"]},
            timeout=30,
            allow_redirects=False,
        )
        assert response.status_code == 302, response.text[:500]

    def upload(self, data: bytes, name: str = "bird.jpg", timeout: float = 30) -> requests.Response:
        return self.http.post(
            f"{self.base}/",
            files={"image": (name, data, "image/jpeg")},
            headers={"Accept": "application/json", "X-CSRFToken": self.http.cookies["csrftoken"]},
            timeout=timeout,
        )

    def page(self, path: str = "/", timeout: float = 30) -> requests.Response:
        return self.http.get(f"{self.base}{path}", timeout=timeout)
