"""`make run` (python -m birdsite.serve): a killed child is started again, the web keeps answering, the
retrain worker runs beside the classification worker, and the demo login printed on first start works."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.live import ROOT, free_port

pytestmark = pytest.mark.integration


class Served:
    """``python -m birdsite.serve`` with nothing configured (SQLite, SQLite-file broker) in a temp dir."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        # tests.settings fills in PostgreSQL and Redis: this is `make run` with nothing configured.
        servers = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
        env = {k: v for k, v in os.environ.items() if k not in servers}
        env.update(
            VAR_DIR=str(tmp / "var"),
            MEDIA_ROOT=str(tmp / "media"),
            PORT=str(self.port),
            MODEL_PRELOAD="false",  # the worker's processes need not load the model to be supervised
            BIRDSITE_ENV_FILE=str(tmp / "no.env"),
            PYTHONUNBUFFERED="1",
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "birdsite.serve"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, pattern: str, timeout: float = 90) -> re.Match[str]:
        """The next output line matching ``pattern`` (lines before it are kept in ``seen``)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"no line matching {pattern!r}; output so far:\n" + "\n".join(self.seen[-60:])
                )
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_until_answering(self, timeout: float = 120) -> requests.Response:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return requests.get(self.url + "/accounts/login/", timeout=30)
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)  # polling a port that is not open yet: there is nothing to wait on

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def log_in(url: str, username: str, password: str) -> bool:
    session = requests.Session()
    session.get(url + "/accounts/login/", timeout=30)
    token = session.cookies["csrftoken"]
    response = session.post(
        url + "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": url + "/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    return response.status_code == 302


def test_a_killed_worker_is_restarted_and_the_web_keeps_answering(tmp_path) -> None:
    served = Served(tmp_path)
    try:
        demo = served.expect(r"demo login: demo / (\S+)")
        web_pid = int(served.expect(r"web started \(pid (\d+)\)").group(1))
        worker_pid = int(served.expect(r"^  worker started \(pid (\d+)\)").group(1))
        served.expect(r"retrain worker started \(pid (\d+)\)")
        served.expect(r"beat started \(pid (\d+)\)")
        assert served.wait_until_answering().status_code == 200

        os.kill(worker_pid, signal.SIGKILL)
        served.expect(rf"worker \(pid {worker_pid}\) exited \(killed by SIGKILL\); restarting")
        new_pid = int(served.expect(r"^  worker started \(pid (\d+)\)").group(1))
        assert new_pid != worker_pid
        os.kill(new_pid, 0)  # alive
        assert requests.get(served.url + "/accounts/login/", timeout=30).status_code == 200
        os.kill(web_pid, 0)  # the same web server as before: it was never stopped
        assert not any("web (pid" in line for line in served.seen)

        assert log_in(served.url, "demo", demo.group(1)), "the printed demo password does not log in"
        assert not log_in(served.url, "demo", "birdwatcher"), "the old published password still works"
    finally:
        served.close()
    assert served.process.returncode == 0


def test_the_retrain_worker_reads_its_own_queue_and_loads_no_model() -> None:
    import django
    from django.conf import settings

    django.setup()
    from birdsite.serve import worker_commands

    commands = worker_commands("python", concurrency=1)
    classify, retrain = commands["worker"], commands["retrain worker"]
    assert classify[classify.index("-Q") + 1] == settings.CELERY_TASK_DEFAULT_QUEUE
    assert retrain[retrain.index("-Q") + 1] == settings.RETRAIN_QUEUE != settings.CELERY_TASK_DEFAULT_QUEUE
    assert retrain[retrain.index("-n") + 1] == "retrain@%h"  # two workers on one host need two names
