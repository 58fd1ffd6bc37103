"""Batches through a real Celery worker process, real Redis and PostgreSQL (and, where marked, the model)."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from birdsite.batches import selectors, services
from birdsite.batches.models import Batch
from birdsite.photos import push
from birdsite.photos.models import ClassificationJob
from birdsite.sightings.models import Sighting
from tests.batches.helpers import oversized_png, photo
from tests.live import CUB, live_env, start

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def shared_photos(count: int) -> list[tuple[str, bytes]]:
    if not CUB.is_dir():
        pytest.skip(f"needs the shared bird photos: {CUB} is missing")
    paths = sorted(CUB.glob("*/*.jpg"))[: count * 3 : 3]  # spread over species
    if len(paths) < count:
        pytest.skip(f"needs {count} photos under {CUB}, found {len(paths)}")
    return [(f"{p.parent.name}-{p.name}", p.read_bytes()) for p in paths]


def wait_finished(batch: Batch, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch.refresh_from_db()
        if batch.status != Batch.Status.RUNNING:
            return selectors.batch_progress(batch)
        time.sleep(0.2)
    raise AssertionError(f"batch still running after {timeout}s: {selectors.batch_progress(batch)}")


class BatchListener:
    """Joins the owner's Channels group over Redis, as the batch page's socket does."""

    def __init__(self, user_id: int) -> None:
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(push.user_group(user_id), self.channel)

    def until_finished(self, batch_id: int, timeout: float = 30) -> dict:
        async def receive() -> dict:
            import asyncio

            while True:
                message = await asyncio.wait_for(self.layer.receive(self.channel), timeout)
                batch = message.get("batch")
                if message["type"] == "batch.update" and batch["id"] == batch_id and batch["finished"]:
                    return batch

        return async_to_sync(receive)()


@pytest.mark.shared
@pytest.mark.parametrize("kind", ["fake", pytest.param("real", marks=pytest.mark.model)])
def test_fifty_real_photos_and_four_bad_files_finish_with_exactly_the_expected_outcomes(
    kind, owner, live_workers
) -> None:
    live_workers.ensure(kind)
    photos = shared_photos(50)
    corrupt = photos[1][1][: len(photos[1][1]) // 3]
    files = photos + [
        ("corrupt.jpg", corrupt),
        ("notes.jpg", b"A text file with a .jpg name.\n"),
        ("again.jpg", photos[0][1]),
        ("huge.png", oversized_png()),
    ]
    listener = BatchListener(owner.pk)
    batch = services.batch_create(user=owner, files=files)
    progress = wait_finished(batch, timeout=600 if kind == "real" else 120)
    outcomes = {row["name"]: (row["outcome"], row["code"]) for row in selectors.batch_items(batch)}
    expected = {name: ("succeeded", "") for name, _ in photos}
    expected |= {
        "corrupt.jpg": ("refused", "corrupt"),
        "notes.jpg": ("refused", "not_an_image"),
        "again.jpg": ("duplicate", ""),
        "huge.png": ("refused", "too_many_pixels"),
    }
    assert outcomes == expected
    items = {item.name: item for item in batch.items.all()}
    assert items["again.jpg"].job_id == items[photos[0][0]].job_id
    assert (progress["done"], progress["failed"], progress["total"]) == (51, 3, 54)
    jobs = ClassificationJob.objects.filter(owner=owner)
    assert jobs.count() == 50 and all(job.predictions.count() == 5 for job in jobs)
    assert Sighting.objects.filter(owner=owner).count() == 50
    pushed = listener.until_finished(batch.pk)
    assert pushed["status"] == "finished" and pushed["percent"] == 100
    print(f"{kind} model: {progress['images_per_second']} images/s over 50 photos")


# Short leases and a quick sweeper, so that a test sees recovery within seconds, as it happens in minutes'
# time with the defaults.
RECOVERY_ENV = {
    "JOB_LEASE_SECONDS": "6",
    "JOB_LEASE_RENEW_SECONDS": "1",
    "SWEEP_INTERVAL_SECONDS": "1",
    "SWEEP_PENDING_SECONDS": "2",
}


def start_slow_worker(media_root, name: str, *, pool: str = "solo"):
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    argv = [sys.executable, "-m", "tests.batches.slow_worker", "worker", f"--pool={pool}", "-Q", queue]
    argv += ["-c", "1"] if pool == "prefork" else []
    argv += ["-n", f"{queue}-{name}@%h", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    argv += ["--without-heartbeat"]
    env = live_env(
        media_root,
        MODEL_PRELOAD="false",
        BATCH_CHUNK_SIZE="4",
        FAKE_SECONDS_PER_IMAGE="0.1",
        **RECOVERY_ENV,
    )
    worker = start(name, argv, env)
    worker.wait_for(r"ready\.", timeout=120)
    return worker


def start_beat(media_root, tmp_path):
    """celery beat, sending the sweeper every second: the one recovery path for a whole dead worker."""
    argv = [sys.executable, "-m", "celery", "-A", "workers", "beat", "--loglevel=INFO"]
    argv += ["-s", str(tmp_path / "beat-schedule")]
    env = live_env(media_root, BEAT_HEARTBEAT_FILE=str(tmp_path / "beat-heartbeat"), **RECOVERY_ENV)
    beat = start("beat", argv, env)
    beat.wait_for(r"beat: Starting", timeout=60)
    return beat


def test_killing_the_worker_mid_batch_still_finishes_every_job_exactly_once(
    owner, live_workers, live_media_root, settings, tmp_path
) -> None:
    live_workers.stop()  # this test runs its own workers on the queue
    settings.BATCH_CHUNK_SIZE = 4
    first = start_slow_worker(live_media_root, "worker-slow-1")
    second = beat = None
    try:
        batch = services.batch_create(user=owner, files=[(f"{n}.jpg", photo(n)) for n in range(40)])
        own = batch.items.filter(kind="job")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = own.filter(job__status="succeeded").count()
            if done >= 8 and own.filter(job__status="running").exists():
                break
            time.sleep(0.02)
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait()
        held = list(own.filter(job__status="running").values_list("job_id", flat=True))
        assert held, "the worker was to be killed holding jobs"
        assert own.filter(job__status="pending").exists(), "the worker was to be killed mid-batch"
        second = start_slow_worker(live_media_root, "worker-slow-2")
        beat = start_beat(live_media_root, tmp_path)  # its sweeper finds the dead worker's jobs
        progress = wait_finished(batch, timeout=120)
    finally:
        for worker in (first, second, beat):
            if worker is not None:
                worker.stop()
    assert (progress["done"], progress["failed"], progress["total"]) == (40, 0, 40)
    for item in own.select_related("job"):
        assert item.job.status == "succeeded"
        assert item.job.predictions.count() == 5  # one result stored per job: no job ran twice to completion
        assert Sighting.objects.filter(job=item.job).count() == 1
    retaken = ClassificationJob.objects.filter(pk__in=held)
    assert all(job.attempts == 2 for job in retaken)  # the dead worker's claim, then one more


def _children(pid: int) -> list[int]:
    path = f"/proc/{pid}/task/{pid}/children"
    with open(path) as fh:
        return [int(n) for n in fh.read().split()]


def test_jobs_held_by_a_killed_pool_process_are_taken_back_at_once_and_finish_once(
    owner, live_workers, live_media_root, settings
) -> None:
    """kill -9 of the prefork child: its parent sends the task back (``reject_on_worker_lost``), and the
    same task, knowing its own claim, takes the jobs again at once — no stale timeout, no sweeper."""
    live_workers.stop()
    settings.BATCH_CHUNK_SIZE = 4
    worker = start_slow_worker(live_media_root, "worker-prefork", pool="prefork")
    try:
        batch = services.batch_create(user=owner, files=[(f"{n}.jpg", photo(200 + n)) for n in range(12)])
        own = batch.items.filter(kind="job")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not own.filter(job__status="running").exists():
            time.sleep(0.02)
        held = list(own.filter(job__status="running").values_list("job_id", flat=True))
        assert held, "the pool process was to be killed holding jobs"
        (child,) = _children(worker.process.pid)
        os.kill(child, signal.SIGKILL)
        killed_at = time.monotonic()
        retaken = ClassificationJob.objects.filter(pk__in=held)
        while time.monotonic() < killed_at + 60 and retaken.exclude(status="succeeded").exists():
            time.sleep(0.05)
        recovered_in = time.monotonic() - killed_at
        print(f"jobs of the killed pool process finished {recovered_in:.1f}s after the kill")
        progress = wait_finished(batch, timeout=60)
    finally:
        worker.stop()
    assert recovered_in <= 30, f"the jobs of the killed process took {recovered_in:.1f}s to finish"
    assert (progress["done"], progress["failed"]) == (12, 0)
    assert all(job.attempts == 2 for job in retaken)  # the dead claim, then the same task's own
    for item in own.select_related("job"):
        assert item.job.predictions.count() == 5 and Sighting.objects.filter(job=item.job).count() == 1


@pytest.mark.django_db(transaction=True)
def test_duplicate_heavy_zips_never_deadlock_with_finishing_chunks_nor_store_half_a_batch(
    owner, fake_worker
) -> None:
    """Storing a batch (items pointing at earlier jobs, photos of the same owner) while the worker finishes
    those jobs (sightings of the same owner): 20 ZIPs, each fully stored, none refused."""
    from rest_framework.test import APIClient

    from tests.batches.helpers import zip_bytes

    client = APIClient()
    client.force_authenticate(owner)
    sizes = []
    for run in range(20):
        fresh = [(f"r{run}-{n}.jpg", photo(1000 * run + n)) for n in range(6)]
        earlier = [(f"again-{run}-{n}.jpg", photo(1000 * (run - 1) + n)) for n in range(6)] if run else []
        copies = [(f"copy-{run}-{n}.jpg", fresh[0][1]) for n in range(20)]
        archive = zip_bytes(fresh + earlier + copies)
        upload = SimpleUploadedFile(f"run-{run}.zip", archive, content_type="application/zip")
        response = client.post("/api/v1/batches/", {"archive": upload}, format="multipart")
        assert response.status_code == 202, response.content
        batch = Batch.objects.get(pk=response.json()["id"])
        sizes.append(batch.items.count())
        assert sizes[-1] == len(fresh) + len(earlier) + len(copies)  # all of it, or it would have failed
    for batch in Batch.objects.filter(owner=owner):
        progress = wait_finished(batch, timeout=120)
        assert progress["failed"] == 0 and progress["refused"] == 0
    assert ClassificationJob.objects.filter(owner=owner).count() == 20 * 6  # every copy became a duplicate
