"""The sweeper's service (birdsite/classification/recovery.py), the upload path with the broker down,
and room for uploads (birdsite/photos/storage.py): quota, reserved free space, a disk that fills during
the save."""

from __future__ import annotations

import datetime as dt
import errno
import os

import pytest
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from birdsite.classification import claims, recovery, services
from birdsite.photos.images import UploadRejected
from birdsite.photos.models import ClassificationJob, Photo
from tests.batches.helpers import photo
from tests.helpers import submit, upload_file

Status = ClassificationJob.Status


def age(job: ClassificationJob, seconds: float, **fields) -> None:
    then = timezone.now() - dt.timedelta(seconds=seconds)
    ClassificationJob.objects.filter(pk=job.pk).update(created_at=then, **fields)


def test_a_stale_running_job_goes_back_to_pending_and_is_published_again(owner, settings) -> None:
    settings.JOB_STALE_SECONDS = 60
    dead = submit(owner, photo(1))
    age(dead, 600, status=Status.RUNNING, started_at=timezone.now() - dt.timedelta(seconds=120), attempts=1)
    expired = submit(owner, photo(3))  # its worker stopped renewing the lease a moment ago
    age(expired, 600, status=Status.RUNNING, started_at=timezone.now(), attempts=1)
    ClassificationJob.objects.filter(pk=expired.pk).update(
        lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    alive = submit(owner, photo(2))
    age(alive, 600, status=Status.RUNNING, started_at=timezone.now(), attempts=1)
    ClassificationJob.objects.filter(pk=alive.pk).update(
        lease_expires_at=timezone.now() + dt.timedelta(seconds=20)
    )
    published: list[int] = []
    report = recovery.jobs_recover(queue_depth=0, publish_single=published.extend)
    assert (report.released, report.requeued, sorted(published)) == (2, 2, sorted([dead.pk, expired.pk]))
    dead.refresh_from_db()
    assert (dead.status, dead.started_at, dead.attempts) == (Status.PENDING, None, 1)
    assert claims.jobs_claim(job_ids=[dead.pk]).taken == {
        dead.pk: 2
    }  # a late answer of claim 1 is fenced out


def test_a_job_whose_lease_ran_out_is_published_again_in_the_same_sweep_however_young_or_busy(
    owner,
) -> None:
    # Its message went with the worker that died holding it (unacknowledged in Redis for an hour): waiting
    # SWEEP_PENDING_SECONDS from its upload, or for an empty queue, only delayed it (issue: 62 s).
    expired = submit(owner, photo(4))
    ClassificationJob.objects.filter(pk=expired.pk).update(
        status=Status.RUNNING,
        started_at=timezone.now(),
        attempts=1,
        lease_expires_at=timezone.now() - dt.timedelta(seconds=1),
    )
    published: list[int] = []
    report = recovery.jobs_recover(queue_depth=40, publish_single=published.extend)
    assert (report.released, report.requeued, published) == (1, 1, [expired.pk])


def test_the_default_lease_and_sweep_bring_a_dead_workers_jobs_back_within_half_a_minute() -> None:
    from birdsite import settings as defaults

    # Worst case: the lease was renewed just before the death, and the sweep ran just before it expired.
    assert defaults.JOB_LEASE_SECONDS + defaults.SWEEP_INTERVAL_SECONDS <= 25
    assert defaults.JOB_LEASE_SECONDS >= 4 * defaults.JOB_LEASE_RENEW_SECONDS  # renewals may be missed


def test_pending_jobs_are_published_again_only_once_old_and_while_the_queue_is_empty(owner, settings) -> None:
    settings.SWEEP_PENDING_SECONDS, settings.SWEEP_PENDING_MAX_SECONDS = 60, 3600
    fresh, old, ancient = submit(owner, photo(1)), submit(owner, photo(2)), submit(owner, photo(3))
    age(old, 120)
    age(ancient, 7200)
    assert recovery.jobs_waiting_too_long(queue_depth=0) == [old.pk, ancient.pk]
    assert recovery.jobs_waiting_too_long(queue_depth=25) == [ancient.pk]  # a backlog: wait for it
    assert recovery.jobs_waiting_too_long(queue_depth=None) == []  # broker down: nothing to do yet
    assert fresh.pk not in recovery.jobs_waiting_too_long(queue_depth=0)


def test_batch_jobs_are_published_again_as_chunks(owner, settings) -> None:
    from birdsite.batches import services as batch_services

    batch = batch_services.batch_create(user=owner, files=[(f"{n}.jpg", photo(n)) for n in range(3)])
    single = submit(owner, photo(99))
    for job in ClassificationJob.objects.all():
        age(job, 600)
    singles, batched = [], []
    report = recovery.jobs_recover(queue_depth=0, publish_single=singles.extend, publish_batch=batched.extend)
    assert singles == [single.pk]
    assert sorted(batched) == sorted(batch.items.values_list("job_id", flat=True))
    assert (report.requeued, report.requeued_batch) == (1, 3)


def test_an_upload_is_stored_when_the_broker_is_down(owner, monkeypatch, django_capture_on_commit_callbacks):
    from celery import current_app

    def broker_down(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(current_app, "send_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.classification_submit(owner=owner, upload=upload_file(photo(5)))
    assert ClassificationJob.objects.get(pk=job.pk).status == Status.PENDING


def test_a_retraining_asked_for_while_the_broker_is_down_is_sent_by_the_sweeper(
    staff, monkeypatch, django_capture_on_commit_callbacks, tmp_path
) -> None:
    from celery import current_app

    from birdsite.registry import services as registry
    from birdsite.registry.models import ModelVersion

    def broker_down(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(current_app, "send_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        row = registry.retraining_start(user=staff, datasets=[tmp_path])  # nothing raised after commit
    assert ModelVersion.objects.get(pk=row.pk).status == ModelVersion.Status.QUEUED
    assert registry.retrainings_resend() == 0  # too young: its message may still be on its way
    ModelVersion.objects.filter(pk=row.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    sent: list = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args, **_: sent.append((name, args)))
    assert registry.retrainings_resend() == 1 and sent == [("workers.retrain", [row.pk])]


def test_the_sweep_task_reports_what_it_did(owner, monkeypatch) -> None:
    from workers import sweeper

    monkeypatch.setattr("birdsite.classification.queue.queue_depth", lambda queues=None: 0)
    monkeypatch.setattr(recovery, "_publish_single", lambda ids: None)
    assert sweeper.sweep() == {
        "released": 0,
        "requeued": 0,
        "requeued_batch": 0,
        "queue_depth": 0,
        "retrainings_sent": 0,
    }


def test_the_sweep_sends_retrainings_again_only_while_their_queue_is_empty(owner, monkeypatch) -> None:
    # Sweeping every few seconds must not pile a copy per sweep behind a retraining that runs for hours.
    from birdsite.registry import services as registry
    from workers import sweeper

    depths = {"classify": 0, "retrain": 1}

    def depth(queues=None):
        return depths["retrain" if queues == [settings.RETRAIN_QUEUE] else "classify"]

    resent: list[int] = []
    monkeypatch.setattr("birdsite.classification.queue.queue_depth", depth)
    monkeypatch.setattr(registry, "retrainings_resend", lambda: resent.append(1) or 1)
    assert sweeper.sweep()["retrainings_sent"] == 0 and resent == []
    depths["retrain"] = 0
    assert sweeper.sweep()["retrainings_sent"] == 1


def test_the_beat_scheduler_touches_its_heartbeat_file(settings, tmp_path) -> None:
    from workers import app
    from workers.sweeper import HeartbeatScheduler

    settings.BEAT_HEARTBEAT_FILE = tmp_path / "beat" / "alive"
    scheduler = HeartbeatScheduler(app=app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    scheduler.tick = HeartbeatScheduler.tick.__get__(scheduler)
    scheduler.setup_schedule()
    scheduler.tick()
    assert settings.BEAT_HEARTBEAT_FILE.exists()


def test_an_upload_over_the_owner_quota_is_refused_and_stores_nothing(owner, settings, media_root) -> None:
    data = photo(1, (200, 150))
    settings.UPLOAD_QUOTA_BYTES = len(data) + len(data) // 2
    services.classification_submit(owner=owner, upload=upload_file(data))
    with pytest.raises(UploadRejected) as refused:
        services.classification_submit(owner=owner, upload=upload_file(photo(2, (200, 150))))
    assert refused.value.code == "quota_exceeded"
    assert Photo.objects.count() == 1 and len([p for p in media_root.rglob("*") if p.is_file()]) == 2


def test_an_upload_is_refused_when_the_disk_keeps_too_little_free(owner, settings) -> None:
    settings.UPLOAD_MIN_FREE_BYTES = 10**18
    with pytest.raises(UploadRejected) as refused:
        submit(owner, photo(3))
    assert refused.value.code == "storage_full" and Photo.objects.count() == 0


def test_a_disk_that_fills_during_the_save_leaves_no_file_and_no_row(owner, monkeypatch, media_root) -> None:
    from django.core.files.storage import FileSystemStorage

    real_save, calls = FileSystemStorage._save, []

    def fill_up(self, name, content):
        calls.append(name)
        if len(calls) == 2:  # the image is stored; the disk fills while writing the thumbnail
            os.makedirs(os.path.dirname(self.path(name)), exist_ok=True)
            with open(self.path(name), "wb") as partial:
                partial.write(b"\xff\xd8 partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", fill_up)
    with pytest.raises(UploadRejected) as refused:
        submit(owner, photo(4))
    assert refused.value.code == "storage_full"
    assert Photo.objects.count() == 0 and ClassificationJob.objects.count() == 0
    assert [p for p in media_root.rglob("*") if p.is_file()] == []
