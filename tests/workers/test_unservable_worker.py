"""Real worker processes whose model cannot be loaded: they fail no job, take none, say why; a worker that
can serve then finishes the jobs (real Redis, PostgreSQL and Celery; ``tests/model_worker.py``)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from birdsite.classification import services
from birdsite.ops.models import WorkerHeartbeat
from birdsite.photos.models import ClassificationJob
from tests.fakes import jpeg_bytes
from tests.live import Proc, live_env, start
from tests.model_worker import DAMAGED

Status = ClassificationJob.Status
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def workers(live_workers, live_media_root) -> Iterator[Callable[..., Proc]]:
    """Start workers of ``tests.model_worker`` on this run's queue (the session's worker is stopped first:
    it would take the jobs); every one is stopped after the test."""
    live_workers.stop()
    started: list[Proc] = []

    def worker(name: str, *, model: str, pool: str = "solo", preload: bool = True) -> Proc:
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        argv = [sys.executable, "-m", "tests.model_worker", "worker", f"--pool={pool}", "--concurrency=1"]
        argv += ["-Q", queue, "-n", f"{queue}-{name}@%h", "--loglevel=INFO", "--without-gossip"]
        argv += ["--without-mingle", "--without-heartbeat"]
        env = live_env(
            live_media_root,
            FAKE_MODEL=model,
            MODEL_PRELOAD=str(preload).lower(),
            WORKER_HEARTBEAT_SECONDS="1",
        )
        proc = start(f"worker-{name}", argv, env)
        started.append(proc)
        proc.wait_for(r"ready\.", timeout=120)
        return proc

    yield worker
    for proc in reversed(started):
        proc.stop()


def upload(owner) -> ClassificationJob:
    data = jpeg_bytes(color=(int(time.time() * 1000) % 256, 80, 40))
    return services.classification_submit(owner=owner, upload=SimpleUploadedFile("b.jpg", data, "image/jpeg"))


def watch(job_id: int, until: Callable[[ClassificationJob], bool], timeout: float) -> list[str]:
    """The statuses the job went through (polled) until ``until`` holds; fails after ``timeout``."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ClassificationJob.objects.get(pk=job_id)
        if not seen or seen[-1] != job.status:
            seen.append(job.status)
        if until(job):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"job {job_id}: {seen} after {timeout}s")


def not_ready(proc: Proc) -> WorkerHeartbeat:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        row = WorkerHeartbeat.objects.filter(pid=proc.process.pid, ready=False).first()
        if row is not None:
            return row
        time.sleep(0.1)
    raise AssertionError(f"{proc.name} never beat ready=false:\n{proc.text()[-3000:]}")


def test_a_job_taken_by_a_worker_whose_model_cannot_load_waits_and_a_good_worker_finishes_it(
    owner, workers
) -> None:
    broken = workers("lazy-damaged", model="damaged", preload=False)  # it learns on its first job
    job = upload(owner)
    seen = watch(job.pk, lambda j: j.attempts == 1 and j.status == Status.PENDING, timeout=60)
    broken.wait_for(r"given back to wait for a worker that can serve them", timeout=10)
    broken.wait_for(r"this worker takes no jobs until it is restarted", timeout=10)
    assert DAMAGED in not_ready(broken).reason
    assert ClassificationJob.objects.get(pk=job.pk).error == ""
    workers("good-after-lazy", model="good")
    seen += watch(job.pk, lambda j: j.status == Status.SUCCEEDED, timeout=60)
    assert Status.FAILED not in seen
    finished = ClassificationJob.objects.get(pk=job.pk)
    assert finished.model_version == "fake-1" and finished.error == ""


@pytest.mark.parametrize("pool", ["solo", "prefork"])
def test_a_worker_whose_model_fails_to_load_takes_no_jobs_and_says_why(
    owner, workers, client, staff, pool
) -> None:
    broken = workers(f"{pool}-damaged", model="damaged", pool=pool)
    broken.wait_for(r"model preload failed", timeout=60)
    parent = not_ready(broken)  # the process that consumes: a prefork parent learns it from its child
    assert DAMAGED in parent.reason
    broken.wait_for(r"this worker takes no jobs until it is restarted", timeout=10)
    client.force_login(staff)
    readyz = client.get("/readyz")
    assert readyz.status_code == 503 and DAMAGED in readyz.json()["checks"]["model"]["detail"]
    job = upload(owner)
    seen: list[str] = []
    deadline = time.monotonic() + 3  # a consumer that stopped takes nothing: the row is never claimed
    while time.monotonic() < deadline:
        assert ClassificationJob.objects.get(pk=job.pk).attempts == 0
        time.sleep(0.1)
    workers(f"good-after-{pool}", model="good")
    seen += watch(job.pk, lambda j: j.status == Status.SUCCEEDED, timeout=60)
    assert Status.FAILED not in seen and ClassificationJob.objects.get(pk=job.pk).attempts == 1
