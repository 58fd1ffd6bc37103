"""The task called directly with real rows; the Celery wiring checked without a worker."""

from __future__ import annotations

import json
import sys
import types
import uuid

import pytest
from celery.exceptions import Retry

from birdsite.classification import claims, processing
from birdsite.photos.models import ClassificationJob
from birdsite.sightings.models import Sighting
from tests.fakes import FakeClassifier
from tests.helpers import submit
from workers import app, model
from workers.tasks import _load_model_in_this_process, classify, classify_chunk

Status = ClassificationJob.Status


@pytest.mark.django_db
def test_the_task_classifies_a_real_row_with_the_workers_model(owner, fake_classifier) -> None:
    job = submit(owner)
    assert classify(job.pk) == Status.SUCCEEDED
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED and job.model_version == fake_classifier.model_version
    assert fake_classifier.calls == [1]


@pytest.mark.django_db
def test_the_task_for_a_job_held_by_another_worker_retries_later(owner, fake_classifier) -> None:
    job = submit(owner)
    claims.jobs_claim(job_ids=[job.pk], token="another-worker")
    with pytest.raises(Retry):
        classify(job.pk)
    assert fake_classifier.calls == []


@pytest.mark.django_db
def test_the_task_for_a_deleted_job_does_nothing(fake_classifier) -> None:
    assert classify(987654) == "missing"


@pytest.mark.django_db
def test_the_task_delivered_twice_classifies_once_and_stores_one_result(owner, fake_classifier) -> None:
    job = submit(owner)
    assert classify.apply(args=[job.pk], task_id="first-delivery").get() == Status.SUCCEEDED
    assert classify.apply(args=[job.pk], task_id="second-delivery").get() == Status.SUCCEEDED
    job.refresh_from_db()
    assert fake_classifier.calls == [1]  # the second delivery found the job done and ran no model
    assert job.attempts == 1 and job.predictions.count() == 5
    assert Sighting.objects.filter(job=job).count() == 1


@pytest.mark.django_db
def test_a_task_redelivered_after_its_worker_was_lost_takes_its_own_claim_back_at_once(
    owner, fake_classifier
) -> None:
    job = submit(owner)
    # The worker that ran this task died mid-job: the row is RUNNING under the task's id, its lease not
    # expired; the broker redelivers the same task (same id) to another worker (reject_on_worker_lost).
    claims.jobs_claim(job_ids=[job.pk], token="task-of-a-lost-worker")
    assert classify.apply(args=[job.pk], task_id="task-of-a-lost-worker").get() == Status.SUCCEEDED
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED and job.attempts == 2 and fake_classifier.calls == [1]


def test_task_messages_are_json_with_ids_only_and_a_pickled_message_is_refused(settings) -> None:
    from kombu import Connection, Queue
    from kombu.exceptions import ContentDisallowed

    probe = Queue(f"probe-{uuid.uuid4().hex}", auto_delete=True)
    broker = Connection(app.conf.broker_url, transport_options=app.conf.broker_transport_options)
    with broker as conn, conn.channel() as channel:
        probe(channel).declare()
        result = app.send_task("workers.classify", args=[4321], queue=probe.name)
        message = probe(channel).get(accept=app.conf.accept_content, no_ack=True)
        assert message is not None and message.content_type == "application/json"
        args, kwargs, _ = json.loads(message.body)
        assert (args, kwargs) == ([4321], {}) and message.headers["task"] == "workers.classify"
        conn.Producer(channel).publish({"job": 1}, serializer="pickle", routing_key=probe.name)
        pickled = probe(channel).get(accept=app.conf.accept_content, no_ack=True)
        with pytest.raises(ContentDisallowed):
            pickled.decode()
        probe(channel).delete()
    # No result is kept: there is no backend to ask (the ClassificationJob row is the answer).
    with pytest.raises(NotImplementedError):
        result.get(timeout=1)


@pytest.fixture
def fake_classifier_module(monkeypatch: pytest.MonkeyPatch):
    loads: list[str | None] = []
    module = types.ModuleType("classifier")

    class InvalidImage(ValueError):
        pass

    def load(model_dir: str | None = None, **options: object) -> FakeClassifier:
        loads.append(model_dir)
        return FakeClassifier(model_version="loaded")

    module.load = load  # type: ignore[attr-defined]
    module.InvalidImage = InvalidImage  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "classifier", module)
    model.set_classifier(None)
    yield module, loads
    model.set_classifier(None)


def test_the_model_is_loaded_once_per_process_and_only_when_first_needed(
    fake_classifier_module, settings
) -> None:
    _, loads = fake_classifier_module
    settings.MODEL_DIR = "/models/x"
    assert loads == []
    first, second = model.get_classifier(), model.get_classifier()
    assert first is second and first.model_version == "loaded"
    assert loads == ["/models/x"]


def test_a_new_worker_process_forgets_any_model_it_inherited(fake_classifier_module, settings) -> None:
    _, loads = fake_classifier_module
    settings.MODEL_PRELOAD = False
    inherited = model.get_classifier()
    _load_model_in_this_process()
    assert model.get_classifier() is not inherited
    assert len(loads) == 2


@pytest.mark.django_db
def test_the_classifiers_invalid_image_error_fails_the_job_at_once_instead_of_retrying(
    fake_classifier_module, owner
) -> None:
    module, _ = fake_classifier_module
    job = submit(owner)
    broken = FakeClassifier(error=module.InvalidImage("cannot identify image file"))
    model.set_classifier(broken)
    assert classify.apply(args=[job.pk]).get() == Status.FAILED  # no Retry raised
    job.refresh_from_db()
    assert job.status == Status.FAILED and job.attempts == 1 and "could not be read" in job.error
    assert broken.calls == [1, 1]  # the pass, then that image alone: no second attempt later


def no_model():
    raise RuntimeError("head.weights.h5 does not match its checksum")


@pytest.fixture
def retries_asked(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """What the tasks ask ``self.retry`` for (the countdown, other args), instead of a worker's retry."""
    asked: list[dict] = []

    def record(task):
        def retry(**options):
            asked.append(options)
            return Retry("retry asked", when=options.get("countdown"))

        return retry

    for task in (classify, classify_chunk):
        monkeypatch.setattr(task, "retry", record(task))
    return asked


@pytest.mark.django_db
def test_the_task_gives_back_a_job_its_model_cannot_serve_and_comes_back_after_a_pause(
    owner, monkeypatch, retries_asked
) -> None:
    job = submit(owner)
    monkeypatch.setattr(model, "get_classifier", no_model)
    with pytest.raises(Retry):
        classify(job.pk)
    job.refresh_from_db()
    assert job.status == Status.PENDING and job.error == "" and job.attempts == 1
    assert retries_asked == [{"countdown": processing.UNSERVED_RETRY_FIRST, "max_retries": None}]


@pytest.mark.django_db
def test_a_chunk_gives_back_the_jobs_its_model_cannot_serve_and_comes_back_for_them(
    owner, monkeypatch, retries_asked
) -> None:
    done, waiting = submit(owner), submit(owner)
    ClassificationJob.objects.filter(pk=done.pk).update(status=Status.SUCCEEDED)
    monkeypatch.setattr(model, "get_classifier", no_model)
    with pytest.raises(Retry):
        classify_chunk([done.pk, waiting.pk])
    assert ClassificationJob.objects.get(pk=waiting.pk).status == Status.PENDING
    assert retries_asked == [
        {"args": [[waiting.pk]], "countdown": processing.UNSERVED_RETRY_FIRST, "max_retries": None}
    ]


def test_the_pause_before_coming_back_for_unserved_jobs_grows_to_a_minute() -> None:
    assert [processing.unserved_retry_in(n) for n in range(7)] == [5, 10, 20, 40, 60, 60, 60]
