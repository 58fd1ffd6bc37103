"""End-to-end throughput of one batch: N photos from ../shared handed over at once, until the last result.

    .venv/bin/python bench/batch_throughput.py [--photos 500] [--concurrency 1] [--chunk 16]

Uses its own PostgreSQL database (``birdsite_bench``, created if missing), Redis db 14, a fresh
queue and a temporary MEDIA_ROOT; starts one real Celery worker (the served model, or MODEL_DIR)
and waits for its model before the clock starts. Prints a JSON line and writes it to
test-artifacts/batch_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIRDS = ROOT.parent / "shared" / "datasets" / "birds"


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[-1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def wait_for(log: Path, pattern: str, timeout: float, process: subprocess.Popen[bytes]) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text(errors="replace"))
        if found:
            return found
        if process.poll() is not None:
            raise SystemExit(f"worker exited:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    raise SystemExit(f"no {pattern!r} in the worker log within {timeout}s")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=1, help="worker processes (prefork)")
    parser.add_argument("--chunk", type=int, default=16, help="BATCH_CHUNK_SIZE")
    args = parser.parse_args()

    paths = sorted(BIRDS.rglob("*.jpg"))[: args.photos]
    if len(paths) < args.photos:
        raise SystemExit(f"needs {args.photos} photos under {BIRDS}, found {len(paths)}")
    media = Path(tempfile.mkdtemp(prefix="bench-media-"))
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/birdsite_bench")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
    os.environ.update(
        MEDIA_ROOT=str(media), CELERY_QUEUE=queue, CHANNELS_PREFIX=queue, BATCH_CHUNK_SIZE=str(args.chunk),
        DJANGO_SETTINGS_MODULE="birdsite.settings", PYTHONPATH=str(ROOT),
        BATCH_MAX_FILES=str(max(args.photos, 5000)),
    )  # fmt: skip
    ensure_database(os.environ["DATABASE_URL"])
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from birdsite.batches import selectors, services
    from birdsite.batches.models import Batch

    call_command("migrate", interactive=False, verbosity=0)
    get_user_model().objects.filter(username="bench").delete()  # earlier runs: no duplicates
    user = get_user_model().objects.create_user("bench")

    log = ROOT / "test-artifacts" / "bench-worker.log"
    log.parent.mkdir(exist_ok=True)
    argv = [sys.executable, "-m", "celery", "-A", "workers", "worker", "-Q", queue, "--loglevel=INFO"]
    argv += ["--concurrency", str(args.concurrency), "--without-gossip", "--without-mingle"]
    with log.open("wb") as out:
        worker = subprocess.Popen(
            argv, cwd=ROOT, env=dict(os.environ, MODEL_PRELOAD="true"), stdout=out, stderr=out
        )
    try:
        loaded = wait_for(log, r"model (\S+) loaded in|model preload failed", 600, worker)
        if loaded.group(1) is None:
            raise SystemExit(f"the model did not load; see {log}")
        files = [(p.name, p.read_bytes()) for p in paths]
        started = time.monotonic()
        batch = services.batch_create(user=user, files=files, name="bench")
        intake = time.monotonic() - started
        while True:
            batch.refresh_from_db()
            if batch.status != Batch.Status.RUNNING:
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        progress = selectors.batch_progress(batch)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        shutil.rmtree(media, ignore_errors=True)
    report = {
        "photos": args.photos,
        "model_version": loaded.group(1),
        "concurrency": args.concurrency,
        "chunk": args.chunk,
        "cpus": os.cpu_count(),
        "done": progress["done"],
        "failed": progress["failed"],
        "duplicates": progress["duplicates"],
        "intake_seconds": round(intake, 2),
        "end_to_end_seconds": round(elapsed, 2),
        "end_to_end_images_per_second": round(args.photos / elapsed, 2),
        "worker_images_per_second": progress["images_per_second"],
    }
    print(json.dumps(report))
    (ROOT / "test-artifacts" / "batch_throughput.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
