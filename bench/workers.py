"""Throughput with 1, 2 and 3 Celery worker processes (issue 15), in one run, on this machine.

    .venv/bin/python bench/workers.py [--photos 240] [--workers 1,2,3] [--threads 0] [--chunk 16] [--fake 0]

For each count: a batch of the same N photos from ../shared is stored first (no worker running, so the
intake takes no CPU from them), then that many real workers start on a fresh queue (the served model,
or MODEL_DIR; ``--pool=solo``, each its own node name, as separate hosts would run them). The clock starts
when the last of them has loaded its model: the figure is the jobs finished from then on over the time
to the last one, so model loading and intake are left out and only the steady state is compared (a worker
ready before the last one may have begun a chunk already, which flatters several workers a little; the
``span_*`` figures, from the first job's start, lean the other way).

``--threads`` sets BIRDSITE_THREADS of each worker (0: the default, every core for each worker, which is
what a second worker on the same machine gets). ``--fake S``: workers whose model sleeps S seconds per
image instead (tests/batches/slow_worker.py), so the figure is what the pipeline itself allows. Uses its
own PostgreSQL database (``birdsite_bench``), Redis db 14 and a temporary MEDIA_ROOT. Prints one JSON
document (ratios against 1 worker included) and writes it to test-artifacts/workers_scaling.json.
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
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIRDS = ROOT.parent / "shared" / "datasets" / "birds" / "cub100"
sys.path.insert(0, str(ROOT))

from bench.batch_throughput import ensure_database  # noqa: E402
from bench.common import machine  # noqa: E402

LOADED = re.compile(r"model (\S+) loaded in|model preload failed")
Workers = list[tuple[subprocess.Popen[bytes], Path]]


def start_workers(count: int, queue: str, args: argparse.Namespace) -> Workers:
    started = []
    for n in range(1, count + 1):
        log = ROOT / "test-artifacts" / f"bench-workers-{count}-{n}.log"
        # --fake: the tests' worker whose model sleeps per image (no CPU), to see what the queue, the claims
        # and the database allow when the model is not what limits (a GPU, or workers on their own hosts).
        program = ["-m", "tests.batches.slow_worker"] if args.fake else ["-m", "celery", "-A", "workers"]
        argv = [sys.executable, *program, "worker", "--pool=solo", "-Q", queue]
        argv += ["-n", f"bench{n}@%h", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
        env = dict(os.environ, MODEL_PRELOAD="false" if args.fake else "true")
        env["FAKE_SECONDS_PER_IMAGE"] = str(args.fake)
        if args.threads:
            env["BIRDSITE_THREADS"] = str(args.threads)
        with log.open("wb") as out:
            started.append((subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=out), log))
    return started


def wait_loaded(workers: Workers, fake: bool, timeout: float = 900) -> str:
    versions: dict[Path, str] = {}
    deadline = time.monotonic() + timeout
    while len(versions) < len(workers):
        for process, log in workers:
            text = log.read_text(errors="replace")
            found = re.search(r"(ready)\.", text) if fake else LOADED.search(text)
            if found and found.group(1) is None:
                raise SystemExit(f"the model did not load; see {log}")
            if found:
                versions[log] = found.group(1)
            elif process.poll() is not None:
                raise SystemExit(f"a worker exited; see {log}")
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not load their model in time")
        time.sleep(0.2)
    (version,) = set(versions.values())
    return version


def run(count: int, paths: list[Path], args: argparse.Namespace) -> dict:
    from django.contrib.auth import get_user_model

    from birdsite.batches import services
    from birdsite.batches.models import Batch
    from birdsite.photos.models import ClassificationJob

    get_user_model().objects.filter(username="bench-workers").delete()  # same photos: no duplicates
    user = get_user_model().objects.create_user("bench-workers")
    batch = services.batch_create(user=user, files=[(p.name, p.read_bytes()) for p in paths], name="bench")
    workers = start_workers(count, os.environ["CELERY_QUEUE"], args)
    try:
        version = "fake (slow-1)" if args.fake else wait_loaded(workers, fake=False)
        if args.fake:
            wait_loaded(workers, fake=True)
        clock = datetime.now(UTC)
        started = time.monotonic()
        while Batch.objects.get(pk=batch.pk).status == Batch.Status.RUNNING:
            if time.monotonic() - started > 1800:
                raise SystemExit("the batch did not finish within 30 minutes")
            time.sleep(0.2)
        jobs = ClassificationJob.objects.filter(photo__owner=user)
        finished = sorted(j.finished_at for j in jobs if j.finished_at)
        counted = [at for at in finished if at > clock]
        seconds = (counted[-1] - clock).total_seconds() if counted else float("nan")
        failed = jobs.filter(status="failed").count()
        first_start = min(j.started_at for j in jobs if j.started_at)
    finally:
        for process, _ in workers:
            process.terminate()
        for process, _ in workers:
            process.wait(timeout=120)
    return {
        "workers": count,
        "model_version": version,
        "jobs": len(finished),
        "failed": failed,
        "finished_before_the_clock": len(finished) - len(counted),
        "counted_jobs": len(counted),
        "seconds": round(seconds, 2),
        "images_per_second": round(len(counted) / seconds, 2),
        # The other way to cut it: from the first job's start (a worker that was ready early had begun
        # before the clock above) to the last one's end, model loading of the later workers included.
        "span_seconds": round((finished[-1] - first_start).total_seconds(), 2),
        "span_images_per_second": round(len(finished) / (finished[-1] - first_start).total_seconds(), 2),
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--photos", type=int, default=240)
    parser.add_argument("--workers", default="1,2,3", help="worker counts, comma-separated")
    parser.add_argument("--threads", type=int, default=0, help="BIRDSITE_THREADS per worker (0: default)")
    parser.add_argument("--chunk", type=int, default=16, help="BATCH_CHUNK_SIZE")
    parser.add_argument("--fake", type=float, default=0.0, help="seconds per image of a sleeping fake model")
    args = parser.parse_args()

    paths = sorted(BIRDS.rglob("*.jpg"))[: args.photos]
    if len(paths) < args.photos:
        raise SystemExit(f"needs {args.photos} photos under {BIRDS}, found {len(paths)}")
    media = Path(tempfile.mkdtemp(prefix="bench-media-"))
    queue = f"bench-{uuid.uuid4().hex[:8]}"  # one fresh queue, empty again after each run
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/birdsite_bench")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
    os.environ.update(
        MEDIA_ROOT=str(media), CELERY_QUEUE=queue, CHANNELS_PREFIX=queue, BATCH_CHUNK_SIZE=str(args.chunk),
        DJANGO_SETTINGS_MODULE="birdsite.settings", PYTHONPATH=str(ROOT), UPLOAD_MIN_FREE_BYTES="0",
        BATCH_MAX_FILES=str(max(args.photos, 5000)),
    )  # fmt: skip
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    try:
        runs = [run(int(count), paths, args) for count in args.workers.split(",")]
    finally:
        shutil.rmtree(media, ignore_errors=True)
    base = runs[0]["images_per_second"]
    span_base = runs[0]["span_images_per_second"]
    for result in runs:
        result["ratio_to_first"] = round(result["images_per_second"] / base, 2)
        result["span_ratio_to_first"] = round(result["span_images_per_second"] / span_base, 2)
    report = {
        "machine": machine(),
        "photos": args.photos,
        "threads": args.threads or "default",
        "model": f"fake, {args.fake} s per image (sleeps)" if args.fake else "real",
        "runs": runs,
    }
    print(json.dumps(report, indent=2))
    (ROOT / "test-artifacts" / "workers_scaling.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
