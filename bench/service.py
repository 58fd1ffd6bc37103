"""The whole service end to end: HTTP upload -> result, with a real worker, PostgreSQL and Redis.

    .venv/bin/python bench/service.py [--model-dir DIR] [--uploads 40] [--batch 500] > bench/service.json

Starts its own Celery worker (the CPU worker command from docker-compose.yml) and daphne against a
``birdsite_bench`` database and Redis db 12, uploads photos from ../shared one at a time (upload -> result,
warm worker), then a 500-photo batch through ``/batches/`` when that app is installed. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import CEILING_IMAGES_PER_SECOND, machine, photos, summary  # noqa: E402

DB = "birdsite_bench"


def bench_env(media: Path, model_dir: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB}"),
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
        MEDIA_ROOT=str(media),
        SECRET_KEY="bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SETTINGS_MODULE="birdsite.settings",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    if model_dir:
        env["MODEL_DIR"] = str(model_dir)
    return env


def wait_for(log: Path, pattern: str, timeout: float) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text(errors="replace"))
        if found:
            return found
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {pattern!r} in {log}")


def tree_peak_rss_mb(pid: int) -> dict[str, float]:
    """VmHWM (peak RSS) of a process and its children, from /proc."""
    peaks: dict[str, float] = {}
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        status = Path(f"/proc/{p}/status").read_text()
        hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
        peaks["parent" if p == pid else f"child-{p}"] = round(int(hwm.group(1)) / 1024, 1) if hwm else 0.0
    return peaks


class Client:
    def __init__(self, base: str, session_cookie: str):
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.session_cookie = session_cookie
        self.csrf = ""

    def request(self, path: str, data: bytes | None = None, content_type: str = "") -> dict:
        headers = {"Accept": "application/json", "Cookie": f"sessionid={self.session_cookie}"}
        if self.csrf:
            headers["Cookie"] += f"; csrftoken={self.csrf}"
            headers["X-CSRFToken"] = self.csrf
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.base + path, data=data, headers=headers)
        with self.opener.open(req, timeout=120) as response:
            body = response.read()
            cookie = response.headers.get_all("Set-Cookie") or []
            for c in cookie:
                if c.startswith("csrftoken="):
                    self.csrf = c.split(";")[0].split("=", 1)[1]
            return json.loads(body) if response.headers.get_content_type() == "application/json" else {}

    def post_files(self, path: str, field: str, files: list[Path], fields: dict[str, str]) -> dict:
        boundary = uuid.uuid4().hex
        parts: list[bytes] = []
        for key, value in {**fields, "csrfmiddlewaretoken": self.csrf}.items():
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
            parts.append(f"{head}{value}\r\n".encode())
        for f in files:
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{f.name}"\r\n'
            parts.append(head.encode() + b"Content-Type: image/jpeg\r\n\r\n" + f.read_bytes() + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(path, b"".join(parts), f"multipart/form-data; boundary={boundary}")


def login_cookie(env: dict[str, str]) -> str:
    code = (
        "import django; django.setup()\n"
        "from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        "User = get_user_model()\n"
        f"u, _ = User.objects.get_or_create(username='bench-{uuid.uuid4().hex[:8]}')\n"
        "u.set_password('bench-password-1'); u.save()\n"
        "s = SessionStore(); s[SESSION_KEY] = str(u.pk)\n"
        "s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
        "s[HASH_SESSION_KEY] = u.get_session_auth_hash(); s.create(); print(s.session_key)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def create_database(env: dict[str, str]) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,)).fetchone():
            conn.execute(f"CREATE DATABASE {DB}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)


def single_uploads(client: Client, files: list[Path]) -> dict:
    latencies = []
    model_version = ""
    for f in files:
        started = time.perf_counter()
        job = client.post_files("/", "image", [f], {})
        while job["status"] not in ("succeeded", "failed"):
            time.sleep(0.002)
            job = client.request(f"/jobs/{job['id']}/status.json")
        latencies.append(time.perf_counter() - started)
        if job["status"] != "succeeded":
            raise SystemExit(f"job {job['id']} failed: {job['error']}")
        model_version = job["model_version"]
    return {**summary(latencies[3:], 1), "warm_up_uploads": 3, "model_version": model_version}


def batch_upload(client: Client, files: list[Path], group: int = 50) -> dict:
    started = time.perf_counter()
    batch = client.post_files("/batches/", "files", files[:group], {"expected": str(len(files))})
    for start in range(group, len(files), group):
        batch = client.post_files(batch["files_url"], "files", files[start : start + group], {})
    uploaded = time.perf_counter() - started
    while not batch["finished"]:
        time.sleep(0.05)
        batch = client.request(batch["status_url"])
    total = time.perf_counter() - started
    rate = len(files) / total
    return {
        "photos": len(files),
        "succeeded": batch["succeeded"],
        "failed": batch["failed"],
        "duplicates": batch["duplicates"],
        "upload_seconds": round(uploaded, 1),
        "upload_to_last_result_seconds": round(total, 1),
        "images_per_s": round(rate, 1),
        "of_ceiling": round(rate / CEILING_IMAGES_PER_SECOND, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--uploads", type=int, default=40)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="birdsite-bench-"))
    env = bench_env(tmp / "media", args.model_dir)
    create_database(env)
    out: dict = {"machine": machine(), "engine": env.get("BIRDSITE_ENGINE", "auto")}
    worker_log, web_log = tmp / "worker.log", tmp / "web.log"
    worker_cmd = ["celery", "-A", "workers", "worker", "-Q", "birdsite", "--concurrency", "1", "-l", "info"]
    out["worker_command"] = " ".join(worker_cmd)
    procs = []
    try:
        with worker_log.open("wb") as log:
            cmd = [sys.executable, "-m", *worker_cmd, "-n", "bench@%h", "--without-mingle"]
            procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        loaded = wait_for(worker_log, r"model (\S+) loaded in ([\d.]+)s|model preload failed", 900)
        out["worker_model_load_seconds"] = float(loaded.group(2)) if loaded.group(2) else None
        with web_log.open("wb") as log:
            cmd = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", "8765"]
            cmd.append("birdsite.asgi:application")
            procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        wait_for(web_log, r"Listening on TCP address", 60)
        client = Client("http://127.0.0.1:8765", login_cookie(env))
        client.request("/")  # the CSRF cookie
        pool = photos(args.uploads + 3 + args.batch)
        out["one_photo_upload_to_result"] = single_uploads(client, pool[: args.uploads + 3])
        if "birdsite.batches" in (ROOT / "birdsite" / "settings.py").read_text():
            out[f"batch_{args.batch}_photos"] = batch_upload(client, pool[args.uploads + 3 :])
        else:
            out[f"batch_{args.batch}_photos"] = "not measured: no batch upload app (issue 4) installed"
        out["worker_peak_rss_mb"] = tree_peak_rss_mb(procs[0].pid)
        passes = re.findall(r"jobs \[([\d, ]+)\] classified in one forward pass", worker_log.read_text())
        out["micro_batched_passes"] = len(passes)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
    out["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    out["logs"] = str(tmp)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
