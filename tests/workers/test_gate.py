"""A worker whose model failed to load takes no jobs and says why: the model's state, the gate, the beat."""

from __future__ import annotations

import json
import os
import sys
import types
from types import SimpleNamespace

import pytest

from birdsite.classification.errors import ModelUnavailable
from birdsite.ops.models import WorkerHeartbeat
from birdsite.ops.services import heartbeat_record
from tests.fakes import FakeClassifier
from workers import gate, heartbeat, model
from workers.tasks import _preload

DAMAGED = "head.weights.h5 does not match its checksum"


class FakeConsumer:
    """What the gate uses of Celery's consumer: its queues, its pool's processes, a call on its loop."""

    def __init__(self, queues: list[str], pids: list[int] | None = None) -> None:
        self.task_consumer = SimpleNamespace(queues=[SimpleNamespace(name=q) for q in queues])
        self.pool = SimpleNamespace(info={"processes": [os.getpid()] if pids is None else pids})
        self.cancelled: list[str] = []

    def call_soon(self, callback, *args) -> None:
        callback(*args)

    def cancel_task_queue(self, name: str) -> None:
        self.cancelled.append(name)


@pytest.fixture
def classifier_load(monkeypatch: pytest.MonkeyPatch):
    """``classifier.load`` as this test says: it raises ``error`` when one is set, else a fake model."""
    module = types.ModuleType("classifier")
    state: dict = {"error": None, "loads": 0}

    class InvalidImage(ValueError):
        pass

    def load(model_dir=None, **options):
        state["loads"] += 1
        if state["error"] is not None:
            raise state["error"]
        return SimpleNamespace(model_version="2026.12.02-good", engine_name="litert", predict=None)

    module.load, module.InvalidImage = load, InvalidImage  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "classifier", module)
    model.set_classifier(None)
    gate.forget_inherited()
    yield state
    model.set_classifier(None)
    gate.forget_inherited()


@pytest.fixture
def beats_here(settings, tmp_path, monkeypatch):
    settings.WORKER_HEARTBEAT_FILE = tmp_path / "hb"
    monkeypatch.setitem(heartbeat._identity, "hostname", "celery@here")
    monkeypatch.setattr(heartbeat, "consumed_queues", lambda: ["birdsite"])
    return tmp_path / "hb"


def test_a_model_that_fails_to_load_leaves_the_process_failed_with_why_and_is_not_loaded_again(
    classifier_load,
) -> None:
    classifier_load["error"] = RuntimeError(DAMAGED)
    assert model.preload() is False
    assert model.serving() == model.Serving(model.FAILED, reason=f"RuntimeError: {DAMAGED}")
    with pytest.raises(ModelUnavailable, match="checksum"):
        model.classify_many([b"jpeg"])
    assert classifier_load["loads"] == 1


def test_a_loaded_model_is_described_by_its_public_version_and_engine(classifier_load) -> None:
    assert model.serving().state == model.NOT_LOADED
    assert model.preload() is True
    assert model.serving() == model.Serving(model.READY, "2026.12.02-good", "litert")


def test_a_solo_worker_whose_model_failed_before_its_consumer_started_never_consumes(
    classifier_load,
) -> None:
    classifier_load["error"] = RuntimeError(DAMAGED)
    _preload()  # the load thread of worker_process_init: no consumer yet
    consumer = FakeConsumer(["birdsite", "gpu"])
    gate._remember_the_consumer(sender=consumer)  # worker_ready
    assert consumer.cancelled == ["birdsite", "gpu"]
    assert DAMAGED in gate.reason()


def test_a_solo_worker_whose_model_fails_while_it_consumes_stops_at_once(classifier_load) -> None:
    consumer = FakeConsumer(["birdsite"])
    gate._remember_the_consumer(sender=consumer)
    classifier_load["error"] = OSError(DAMAGED)
    _preload()
    assert consumer.cancelled == ["birdsite"]


def test_a_worker_whose_model_serves_keeps_consuming(classifier_load) -> None:
    consumer = FakeConsumer(["birdsite"])
    gate._remember_the_consumer(sender=consumer)
    _preload()
    assert consumer.cancelled == [] and gate.reason() == ""


@pytest.mark.django_db
def test_a_process_whose_model_failed_beats_ready_false_with_the_reason(classifier_load, beats_here) -> None:
    classifier_load["error"] = RuntimeError(DAMAGED)
    model.preload()
    heartbeat.Beater(writes_file=True).beat()
    row = WorkerHeartbeat.objects.get(pid=os.getpid())
    assert row.ready is False and row.reason == f"RuntimeError: {DAMAGED}" and row.model_version == ""
    record = json.loads(beats_here.read_text())
    assert record["ready"] is False and DAMAGED in record["reason"]


@pytest.mark.django_db
def test_a_process_that_serves_beats_ready_with_its_version_and_engine(classifier_load, beats_here) -> None:
    model.preload()
    heartbeat.Beater(writes_file=True).beat()
    row = WorkerHeartbeat.objects.get(pid=os.getpid())
    assert (row.ready, row.reason, row.model_version) == (True, "", "2026.12.02-good")
    assert json.loads(beats_here.read_text())["engine"] == "litert"


@pytest.mark.django_db
def test_a_prefork_parent_stops_consuming_once_a_child_beats_that_it_cannot_serve(
    classifier_load, beats_here
) -> None:
    child = os.getpid() + 100000
    consumer = FakeConsumer(["birdsite"], pids=[child])
    gate._remember_the_consumer(sender=consumer)  # the parent: it has the consumer, no model
    parent = heartbeat.Beater(writes_file=True)
    parent.beat()
    assert consumer.cancelled == []  # its child has said nothing yet
    heartbeat_record(
        hostname="celery@here",
        pid=child,
        queues=["birdsite"],
        model_version="",
        ready=False,
        reason=f"ModelDamaged: {DAMAGED}",
        started_at=WorkerHeartbeat.objects.get().started_at,
    )
    parent.beat()
    assert consumer.cancelled == ["birdsite"]
    row = WorkerHeartbeat.objects.get(pid=os.getpid())
    assert row.ready is False and DAMAGED in row.reason
    assert json.loads(beats_here.read_text())["ready"] is False


def test_a_pinned_fake_model_serves_without_a_load(classifier_load) -> None:
    model.set_classifier(FakeClassifier(model_version="fake-9"))
    assert model.serving() == model.Serving(model.READY, "fake-9", "")
