"""The whole service end to end: HTTP upload -> result, with a real worker, in two modes measured in one run.

    .venv/bin/python bench/service.py [--model-dir DIR] [--uploads 40] [--batch 500] [--modes M,M]

``servers``: PostgreSQL (a ``birdsite_bench`` database) and Redis db 12, as in production. ``embedded``:
nothing configured, as ``make run`` on a fresh clone (SQLite, the SQLite-file broker polled every
``CELERY_BROKER_POLL_SECONDS``, results by polling). Each mode starts its own Celery worker (the CPU worker
command from docker-compose.yml) and daphne, uploads photos from ../shared one at a time (upload -> result,
warm worker; p50/p95), then, in the servers mode, a 500-photo batch through ``/batches/``. Prints JSON with
the embedded p50 beside the servers p50 of the same run. ``--large N --large-batch M`` (issue 12): then N
phone-sized 12 MP uploads one at a time and a batch of M of them, in the same run (the JPEGs are made from
../shared photos in a temporary folder: each bird pasted 1000 px wide into a blurred 4000×3000 scene).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import socket
import statistics
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

from common import CEILING_IMAGES_PER_SECOND, machine, photos, summary, twelve_megapixel  # noqa: E402

DB = "birdsite_bench"


def bench_env(media: Path, model_dir: Path | None, *, var: Path | None = None) -> dict[str, str]:
    """Servers mode by default; with ``var``, the embedded mode: no database or broker URL at all."""
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
    if var is not None:
        for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
            env.pop(name, None)
        env.update(VAR_DIR=str(var), BIRDSITE_ENV_FILE=str(var / "no.env"))
    if model_dir:
        env["MODEL_DIR"] = str(model_dir)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
        "from django.conf import settings\n"
        "s[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]\n"
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


def single_uploads(client: Client, files: list[Path]) -> tuple[dict, list[float]]:
    """Upload -> result, one photo at a time; also the wall-clock times the uploads were answered."""
    latencies, answered = [], []
    model_version = ""
    for f in files:
        started = time.perf_counter()
        job = client.post_files("/", "image", [f], {})
        answered.append(time.time())
        if "status" not in job:
            raise SystemExit(f"upload of {f} refused: {job}")
        while job["status"] not in ("succeeded", "failed"):
            time.sleep(0.002)
            job = client.request(f"/jobs/{job['id']}/status.json")
        latencies.append(time.perf_counter() - started)
        if job["status"] != "succeeded":
            raise SystemExit(f"job {job['id']} failed: {job['error']}")
        model_version = job["model_version"]
    result = {**summary(latencies[3:], 1), "warm_up_uploads": 3, "model_version": model_version}
    return result, answered[3:]


LOG_TIME = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})"


def worker_split(log: str, answered: list[float]) -> dict:
    """Where the time went, from the worker's log: upload answered -> task received (the broker's part,
    what polling costs) and the task's own run time (claim, model, results)."""
    received = [
        dt.datetime.strptime(t, "%Y-%m-%d %H:%M:%S,%f").timestamp()
        for t in re.findall(LOG_TIME + r" INFO celery.worker.strategy: Task workers.classify\[", log)
    ]
    ran = [float(t) for t in re.findall(r"Task workers.classify\[[^]]+\] succeeded in ([\d.]+)s", log)]
    received, ran = received[-len(answered) :], ran[-len(answered) :]
    if len(received) != len(answered) or not answered:
        return {"note": "the worker log does not have one task per upload"}
    waits = [max(0.0, r - a) for r, a in zip(received, answered, strict=True)]
    return {
        "broker_wait_p50_ms": round(statistics.median(waits) * 1000, 1),
        "broker_wait_max_ms": round(max(waits) * 1000, 1),
        "task_run_p50_ms": round(statistics.median(ran) * 1000, 1),
    }


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


def run_mode(
    env: dict[str, str], logs: Path, port: int, pool: list[Path], args: argparse.Namespace, large: list[Path]
) -> dict:
    """Worker + daphne with ``env``: single uploads (and the batch when ``args.batch``); their numbers."""
    out: dict = {}
    logs.mkdir(parents=True, exist_ok=True)
    worker_log, web_log = logs / "worker.log", logs / "web.log"
    worker_cmd = ["celery", "-A", "workers", "worker", "-Q", "birdsite", "--concurrency", "1", "-l", "info"]
    out["worker_command"] = " ".join(worker_cmd)
    procs = []
    try:
        with worker_log.open("wb") as log:
            cmd = [sys.executable, "-m", *worker_cmd, "-n", "bench@%h", "--without-mingle"]
            procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        loaded = wait_for(worker_log, r"model (\S+) loaded in ([\d.]+)s|model preload failed", 900)
        out["worker_model_load_seconds"] = float(loaded.group(2)) if loaded.group(2) else None
        transport = wait_for(worker_log, r"\.> transport:\s+(\S+)", 60)
        out["broker"] = transport.group(1).split("://", 1)[0]
        with web_log.open("wb") as log:
            cmd = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
            cmd.append("birdsite.asgi:application")
            procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        wait_for(web_log, r"Listening on TCP address", 60)
        client = Client(f"http://127.0.0.1:{port}", login_cookie(env))
        client.request("/")  # the CSRF cookie
        out["one_photo_upload_to_result"], answered = single_uploads(client, pool[: args.uploads + 3])
        out["one_photo_split"] = worker_split(worker_log.read_text(errors="replace"), answered)
        if args.batch:
            out[f"batch_{args.batch}_photos"] = batch_upload(client, pool[args.uploads + 3 :])
        if args.large:  # phone-sized photos, after the 224-px ones of the same run
            out["one_12mp_photo_upload_to_result"], _ = single_uploads(client, large[: args.large + 3])
        if args.large_batch:
            out[f"batch_{args.large_batch}_12mp_photos"] = batch_upload(client, large[args.large + 3 :])
        out["worker_peak_rss_mb"] = tree_peak_rss_mb(procs[0].pid)
        passes = re.findall(r"jobs \[([\d, ]+)\] classified in one forward pass", worker_log.read_text())
        out["micro_batched_passes"] = len(passes)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
    return out


def twelve_megapixel_files(count: int, tmp: Path) -> list[Path]:
    """``count`` 4000×3000 JPEGs (each a different ../shared photo in a scene), written under ``tmp``."""
    if count == 0:
        return []
    folder = tmp / "12mp"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i, source in enumerate(photos(count)):
        files.append(folder / f"{i:04d}-{source.stem}.jpg")
        files[-1].write_bytes(twelve_megapixel(source, i))
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--uploads", type=int, default=40)
    parser.add_argument("--batch", type=int, default=500, help="photos of the batch (servers mode); 0: none")
    parser.add_argument("--modes", default="embedded,servers", help="embedded, embedded-1s, servers")
    parser.add_argument("--large", type=int, default=0, help="12 MP single uploads too (servers mode)")
    parser.add_argument("--large-batch", type=int, default=0, help="a batch of this many 12 MP photos too")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or set(modes) - {"embedded", "embedded-1s", "servers"}:
        parser.error("--modes: embedded, embedded-1s (kombu's 1 s polling, as before) and/or servers")
    tmp = Path(tempfile.mkdtemp(prefix="birdsite-bench-"))
    out: dict = {"machine": machine(), "engine": os.environ.get("BIRDSITE_ENGINE", "auto")}
    pool = photos(args.uploads + 3 + args.batch)
    wanted = args.large + 3 + args.large_batch if args.large or args.large_batch else 0
    large = twelve_megapixel_files(wanted, tmp)
    for mode in modes:
        if mode.startswith("embedded"):
            env = bench_env(tmp / mode / "media", args.model_dir, var=tmp / mode / "var")
            if mode == "embedded-1s":
                env["CELERY_BROKER_POLL_SECONDS"] = "1.0"
            subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
            # the batches and the 12 MP photos are servers figures
            mode_args = argparse.Namespace(**{**vars(args), "batch": 0, "large": 0, "large_batch": 0})
        else:
            env = bench_env(tmp / mode / "media", args.model_dir)
            create_database(env)
            mode_args = args
        out[mode] = run_mode(env, tmp / mode, free_port(), pool, mode_args, large)
    if {"embedded", "servers"} <= set(out):
        embedded = out["embedded"]["one_photo_upload_to_result"]
        servers = out["servers"]["one_photo_upload_to_result"]
        out["embedded_vs_servers"] = {
            "p50_ms": [embedded["p50_ms"], servers["p50_ms"]],
            "p95_ms": [embedded["p95_ms"], servers["p95_ms"]],
            "p50_ratio": round(embedded["p50_ms"] / servers["p50_ms"], 2),
        }
    out["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    out["logs"] = str(tmp)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
