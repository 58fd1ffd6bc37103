"""The embedded default (SQLite database, SQLite-file broker, the database cache) under concurrent load.

``python -m tests.birdsite.sqlite_load DIR [--seconds S] [--uploaders N] [--workers N] [--jobs N]``
prints one JSON line of figures; ``tests/birdsite/test_sqlite_concurrency.py`` asserts on them.

Real processes on one SQLite file, as ``make run`` has them: an "uploaders" process whose threads each
pass the upload throttle (``ratelimits.upload_hit``, every thread from one address) and store what it
admits (``classification_submit``: photo, job row, a message to the SQLite broker); and worker processes
that run the workers' own path, ``processing.jobs_process`` with micro-batching, retried on a database
error with the same task id as Celery's ``autoretry_for`` does. A fake model answers at once.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = "192.0.2.1"
# Mid-window of the hour window, passed to the throttle so a run never straddles a window boundary.
THROTTLE_NOW = 1_800_000_000.0 + 1800


def environment(directory: Path, *, address_limit: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="birdsite.settings",
        BIRDSITE_ENV_FILE=str(directory / "none.env"),
        VAR_DIR=str(directory / "var"),
        MEDIA_ROOT=str(directory / "media"),
        SECRET_KEY="sqlite-load-" + "k" * 40,
        LOG_LEVEL="WARNING",
        API_UPLOAD_RATE_IP=f"{address_limit}/hour",
        API_UPLOAD_RATE_USER="100000/hour",
    )
    return env


class Problems(logging.Handler):
    """Counts what the site logs about a locked database, and the throttle giving up on its cache."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.locked = 0
        self.cache_unavailable = 0
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        trace = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        text = record.getMessage() + trace
        if "database is locked" in text:
            self.locked += 1
        if "cache unavailable" in text:
            self.cache_unavailable += 1
        self.lines.append(text[-300:])


def _setup(jobs: int, uploaders: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    from birdsite.photos.models import ClassificationJob, Photo
    from tests.fakes import jpeg_bytes

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    users = [get_user_model().objects.create_user(f"load{n}", password="x") for n in range(uploaders)]
    seed = Photo(owner=users[0], sha256="0" * 64, image_format="JPEG", width=64, height=48, size_bytes=1)
    seed.image.save("seed.jpg", ContentFile(jpeg_bytes()), save=False)
    fields = {f: getattr(seed, f) for f in ("sha256", "image_format", "width", "height", "size_bytes")}
    photos = Photo.objects.bulk_create(
        [Photo(owner=users[0], image=seed.image.name, **fields) for _ in range(jobs)]
    )
    ClassificationJob.objects.bulk_create([ClassificationJob(owner=users[0], photo=p) for p in photos])
    return {"users": [u.pk for u in users]}


def _uploader(user_id: int, until: float, refusals: int, tally: dict[str, Any], lock: threading.Lock) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from birdsite import ratelimits
    from birdsite.classification.services import classification_submit
    from tests.fakes import jpeg_bytes
    from tests.helpers import upload_file

    user = get_user_model().objects.get(pk=user_id)
    n = refused = 0
    try:
        while time.monotonic() < until and refused < refusals:
            n += 1
            try:
                ratelimits.upload_hit(user_id=user_id, address=ADDRESS, now=THROTTLE_NOW)
            except ratelimits.Throttled as exc:
                refused += 1
                with lock:
                    tally["throttled"] += 1
                    tally["retry_after"] = max(tally["retry_after"], exc.retry_after)
                continue
            with lock:
                tally["admitted"] += 1
            photo = upload_file(jpeg_bytes(color=(user_id % 255, n % 255, 9)))
            try:
                classification_submit(owner=user, upload=photo)
            except Exception as exc:  # a locked database refused the upload: the client sees an error
                with lock:
                    tally["errors"].append(f"upload: {exc}")
    finally:
        connection.close()


def _worker(job_ids: list[int], stop: threading.Event, tally: dict[str, Any], lock: threading.Lock) -> None:
    from django.db import connection
    from django.db.utils import OperationalError

    from birdsite.classification import claims, processing
    from tests.fakes import fake_result

    def predict(images: Any, regions: Any) -> list[Any]:
        return [fake_result() for _ in images]

    queue = list(job_ids)
    try:
        while True:
            if queue:
                job_id = queue.pop(0)
            else:  # its own jobs done: the uploads' tasks, as their messages would bring them
                waiting = claims.pending_uploads(exclude=[], limit=1)
                if not waiting:
                    if stop.wait(0.005):  # the uploads are over and nothing waits: done
                        return
                    continue
                job_id = waiting[0]
            token = uuid.uuid4().hex  # the Celery task id: a retry keeps it
            for attempt in range(9):  # JOB_TASK_OPTIONS: autoretry_for OperationalError, max_retries 8
                try:
                    processing.jobs_process(
                        job_ids=[job_id], predict=predict, token=token, take_along=7, wait_seconds=0.005
                    )
                    break
                except OperationalError as exc:
                    with lock:
                        tally["errors"].append(f"worker: {exc}")
                    time.sleep(0.01 * 2**attempt)
    finally:
        connection.close()


def _run(args: argparse.Namespace, job_ids: list[int], users: list[int]) -> dict[str, Any]:
    tally: dict[str, Any] = {"admitted": 0, "throttled": 0, "retry_after": 0, "errors": []}
    lock, stop = threading.Lock(), threading.Event()
    print("ready", flush=True)
    sys.stdin.readline()  # every process starts together
    until, threads = time.monotonic() + args.seconds, args.threads
    if args.role == "uploaders":
        each = (until, args.refusals or sys.maxsize, tally, lock)
        targets = [(_uploader, (users[n % len(users)], *each)) for n in range(threads)]
    else:  # told when the uploads are over
        threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
        targets = [(_worker, (job_ids[n::threads], stop, tally, lock)) for n in range(threads)]
    running = [threading.Thread(target=f, args=a) for f, a in targets]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return tally


def _child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    problems = Problems()
    logging.getLogger().addHandler(problems)
    if args.role == "setup":
        out = _setup(args.jobs, args.threads)
    else:
        job_ids = json.loads(args.job_ids)
        out = _run(args, job_ids, json.loads(args.users))
    out.update(locked=problems.locked, cache_unavailable=problems.cache_unavailable, log=problems.lines[:20])
    print(json.dumps(out), flush=True)


def measure(
    directory: Path, *, seconds: float, uploaders: int, workers: int, jobs: int, limit: int, refusals: int = 0
) -> dict:
    """Set up a fresh install in ``directory``, run the load, and read back what became of every job.

    Uploads go on for ``seconds``, or, with ``refusals``, until each uploader was refused that many times
    (the limit was reached); the workers then finish what is left and stop."""
    env = environment(directory, address_limit=limit)
    me = [sys.executable, "-m", "tests.birdsite.sqlite_load", str(directory), "--child"]
    setup = [*me, "setup", "--jobs", str(jobs), "--threads", str(uploaders)]
    done = subprocess.run(setup, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    users = json.dumps(json.loads(done.stdout.strip().splitlines()[-1])["users"])
    ids = _pending_ids(env)
    roles = [("uploaders", uploaders, [])] + [("workers", 1, ids[n::workers]) for n in range(workers)]
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    started = [
        subprocess.Popen(
            [*me, role, "--threads", str(n), "--seconds", str(seconds), "--job-ids", json.dumps(share)]
            + ["--users", users, "--refusals", str(refusals)],
            cwd=ROOT,
            env=env,
            **pipes,
        )
        for role, n, share in roles
    ]
    for child in started:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready", child.stderr
    for child in started:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    started[0].wait(timeout=seconds + 120)
    for child in started[1:]:
        assert child.stdin is not None
        child.stdin.write("stop\n")
        child.stdin.flush()
    outputs = []
    for child in started:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err[-3000:]
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    totals: dict[str, Any] = {"limit": limit, "uploaders": uploaders, "workers": workers, "seconds": seconds}
    for key in ("admitted", "throttled", "locked", "cache_unavailable"):
        totals[key] = sum(o[key] for o in outputs)
    totals["retry_after_max"] = max(o["retry_after"] for o in outputs)
    totals["errors"] = sum(len(o["errors"]) for o in outputs)
    totals["error_samples"] = [e for o in outputs for e in o["errors"]][:5]
    totals["log_samples"] = [line for o in outputs for line in o["log"]][:5]
    totals.update(_jobs(env))
    return totals


_PENDING = (
    "import django, json; django.setup(); from birdsite.photos.models import ClassificationJob as J;"
    "print(json.dumps(list(J.objects.order_by('pk').values_list('pk', flat=True))))"
)
_JOBS = (
    "import django, json; django.setup(); from birdsite.photos.models import ClassificationJob as J;"
    "rows = list(J.objects.values_list('status', 'attempts'));"
    "print(json.dumps({'jobs': len(rows), 'succeeded': sum(s == 'succeeded' for s, _ in rows),"
    "'claimed_more_than_once': sum(a > 1 for _, a in rows)}))"
)


def _pending_ids(env: dict[str, str]) -> list[int]:
    done = subprocess.run([sys.executable, "-c", _PENDING], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _jobs(env: dict[str, str]) -> dict[str, int]:
    done = subprocess.run([sys.executable, "-c", _JOBS], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", type=Path)
    parser.add_argument("--child", dest="role", default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--uploaders", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--limit", type=int, default=240)
    parser.add_argument("--job-ids", default="[]")
    parser.add_argument("--users", default="[]")
    parser.add_argument("--refusals", type=int, default=0)
    args = parser.parse_args()
    if args.role:
        _child(args)
        return
    args.directory.mkdir(parents=True, exist_ok=True)
    sizes = {"uploaders": args.uploaders, "workers": args.workers, "jobs": args.jobs, "limit": args.limit}
    figures = measure(args.directory, seconds=args.seconds, **sizes)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
