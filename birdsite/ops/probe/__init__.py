"""``python -m birdsite.ops.probe web|worker``: the docker-compose healthchecks, without Django set up.

``web`` asks /healthz (with a Host header ALLOWED_HOSTS accepts); ``worker`` checks that the worker's main
process rewrote WORKER_HEARTBEAT_FILE within WORKER_HEARTBEAT_STALE_SECONDS. Exit status 0 means healthy.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from pathlib import Path

from birdsite.env import env_float, env_list, env_str


def web(port: int = 8000) -> str | None:
    hosts = env_list("ALLOWED_HOSTS", ["localhost"])
    host = (hosts[0] if hosts else "localhost").lstrip(".")
    host = "localhost" if host in ("", "*") else host
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return None if response.status == 200 else f"/healthz answered {response.status}"
    except OSError as exc:
        return f"/healthz: {exc}"


def worker() -> str | None:
    default = Path(env_str("VAR_DIR", str(Path(__file__).resolve().parents[3] / "var"))) / "worker-heartbeat"
    path = Path(env_str("WORKER_HEARTBEAT_FILE", str(default)))
    stale = env_float("WORKER_HEARTBEAT_STALE_SECONDS", 60.0)
    try:
        age = time.time() - path.stat().st_mtime
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"{path}: {exc}"
    if age > stale:
        return f"{path}: last beat {age:.0f}s ago (pid {record.get('pid')})"
    return None


def main(argv: list[str]) -> int:
    if argv[1:2] == ["web"]:
        problem = web(int(os.environ.get("PORT", "8000")))
    elif argv[1:2] == ["worker"]:
        problem = worker()
    else:
        print("usage: python -m birdsite.ops.probe web|worker", file=sys.stderr)
        return 2
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0
