"""The task called directly with real rows; the Celery wiring checked without a worker."""

from __future__ import annotations

import sys
import types

import pytest
from celery.exceptions import Retry

from birdsite.classification import claims
from birdsite.photos.models import ClassificationJob
from tests.fakes import FakeClassifier
from tests.helpers import submit
from workers import app, model
from workers.tasks import _load_model_in_this_process, classify

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


def test_the_task_is_safe_to_deliver_twice_and_survives_a_lost_worker() -> None:
    assert classify.acks_late is True
    assert classify.reject_on_worker_lost is True
    assert classify.name == "workers.classify"


def test_messages_are_json_and_results_are_not_kept() -> None:
    conf = app.conf
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_ignore_result is True
    assert conf.worker_prefetch_multiplier == 1


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


def test_the_classifiers_invalid_image_error_fails_a_job_instead_of_retrying(fake_classifier_module) -> None:
    module, _ = fake_classifier_module
    assert module.InvalidImage in model.invalid_image_errors()
