"""Worker heartbeats: the beat itself, the file the compose healthcheck reads, and real worker processes."""

from __future__ import annotations

import json
import os
import time

import pytest
from django.utils import timezone

from birdsite.ops import probe
from birdsite.ops.models import WorkerHeartbeat
from workers import heartbeat


def wait_for(condition, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout}s")


@pytest.mark.django_db
def test_a_beat_records_host_pid_queues_and_the_loaded_model(
    settings, tmp_path, fake_classifier, monkeypatch
) -> None:
    settings.WORKER_HEARTBEAT_FILE = tmp_path / "hb"
    heartbeat._identity["hostname"] = "celery@here"
    queues = sorted({settings.CELERY_TASK_DEFAULT_QUEUE, "gpu"})
    monkeypatch.setattr(heartbeat, "consumed_queues", lambda: queues)
    beater = heartbeat.Beater(writes_file=True)
    beater.beat()
    row = WorkerHeartbeat.objects.get()
    assert (row.hostname, row.pid, row.queues, row.model_version) == (
        "celery@here",
        os.getpid(),
        queues,
        fake_classifier.model_version,
    )
    record = json.loads((tmp_path / "hb").read_text())
    assert record["pid"] == os.getpid() and record["model_version"] == fake_classifier.model_version
    beater.forget()
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.django_db
def test_a_pool_process_beats_into_the_database_only(settings, tmp_path) -> None:
    settings.WORKER_HEARTBEAT_FILE = tmp_path / "hb"
    heartbeat.Beater(writes_file=False).beat()
    assert WorkerHeartbeat.objects.filter(pid=os.getpid()).exists()
    assert not (tmp_path / "hb").exists()


def test_the_worker_probe_passes_on_a_fresh_file_and_fails_on_a_stale_or_missing_one(
    settings, tmp_path, monkeypatch
) -> None:
    path = tmp_path / "hb"
    monkeypatch.setenv("WORKER_HEARTBEAT_FILE", str(path))
    monkeypatch.setenv("WORKER_HEARTBEAT_STALE_SECONDS", "60")
    assert "No such file" in probe.worker()
    settings.WORKER_HEARTBEAT_FILE = path
    heartbeat.write_heartbeat_file({"pid": 1, "started_at": timezone.now()})
    assert probe.worker() is None
    old = time.time() - 120
    os.utime(path, (old, old))
    assert "last beat 120s ago" in probe.worker()
    assert probe.main(["probe", "worker"]) == 1


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_process_beats_and_removes_its_row_when_it_stops(live_workers, settings) -> None:
    worker = live_workers.ensure("fake")
    row = wait_for(lambda: WorkerHeartbeat.objects.filter(pid=worker.process.pid).first())
    assert row.hostname.startswith(f"{settings.CELERY_TASK_DEFAULT_QUEUE}-fake@")
    assert row.queues == [settings.CELERY_TASK_DEFAULT_QUEUE]
    assert (timezone.now() - row.beat_at).total_seconds() < settings.WORKER_HEARTBEAT_STALE_SECONDS
    live_workers.stop()
    assert not WorkerHeartbeat.objects.filter(pid=worker.process.pid).exists()


@pytest.mark.integration
@pytest.mark.model
@pytest.mark.django_db(transaction=True)
def test_readyz_is_ok_once_a_real_worker_has_the_active_model_loaded(client, staff, real_worker) -> None:
    client.force_login(staff)  # anonymous callers get the status only (birdsite/ops/health.py)
    response = wait_for(lambda: (r := client.get("/readyz")).status_code == 200 and r, timeout=120)
    checks = response.json()["checks"]
    assert real_worker.info["model_version"] in checks["model"]["detail"]
    assert all(c["ok"] for c in checks.values())
