"""/healthz and /readyz against the real database and broker; heartbeat rows as workers write them.

/readyz tells anybody whether it is ready (200 or 503, ``status``); what each check found (database vendor,
queue depths, workers, model version) only staff or a request with the metrics token sees.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from birdsite.ops import health
from birdsite.ops.models import WorkerHeartbeat
from birdsite.ops.services import heartbeat_forget
from birdsite.registry.models import ModelVersion
from tests.ops.conftest import beat

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_asking_the_database(client, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_unavailable_while_no_worker_beats(staff_client) -> None:
    response = staff_client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] and checks["broker"]["ok"]
    assert not checks["workers"]["ok"] and not checks["model"]["ok"]


def test_it_tells_an_anonymous_caller_only_whether_it_is_ready(client) -> None:
    response = client.get("/readyz")
    assert (response.status_code, response.json()) == (503, {"status": "unavailable"})
    beat()
    response = client.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert health.expected_model_version().encode() not in response.content


def test_it_shows_every_check_to_a_request_with_the_metrics_token(client, settings) -> None:
    settings.METRICS_TOKEN = "s3cret-metrics"
    beat()
    body = client.get("/readyz", HTTP_AUTHORIZATION="Bearer s3cret-metrics").json()
    assert body["status"] == "ok" and body["checks"]["database"]["detail"] == "postgresql"
    assert health.expected_model_version() in body["checks"]["model"]["detail"]
    wrong = client.get("/readyz", HTTP_AUTHORIZATION="Bearer guess").json()
    assert wrong == {"status": "ok"}


def test_it_shows_every_check_to_staff_and_only_the_status_to_other_users(client, owner, staff) -> None:
    client.force_login(owner)
    assert client.get("/readyz").json() == {"status": "unavailable"}
    client.force_login(staff)
    assert set(client.get("/readyz").json()["checks"]) == {"database", "broker", "workers", "model"}


def test_readyz_is_ok_with_a_fresh_worker_that_has_the_active_model_loaded(client) -> None:
    beat()
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ok"


def test_a_stale_heartbeat_does_not_count(staff_client, settings) -> None:
    beat(at=timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_STALE_SECONDS + 1))
    body = staff_client.get("/readyz").json()
    assert body["checks"]["workers"]["ok"] is False


def test_a_worker_with_another_model_loaded_is_not_ready(staff_client) -> None:
    beat(model_version="an-old-model")
    response = staff_client.get("/readyz")
    assert response.status_code == 503
    assert "an-old-model" in response.json()["checks"]["model"]["detail"]


def test_a_worker_whose_model_is_not_loaded_yet_is_not_ready(staff_client) -> None:
    beat(model_version="")
    assert staff_client.get("/readyz").json()["checks"]["model"]["ok"] is False


def test_the_active_registry_version_is_what_workers_must_have_loaded(client) -> None:
    ModelVersion.objects.create(version="2099.01.01-retrained", status=ModelVersion.Status.ACTIVE)
    assert health.expected_model_version() == "2099.01.01-retrained"
    beat(model_version="2099.01.01-retrained")
    assert client.get("/readyz").status_code == 200


def test_without_a_registry_row_the_configured_model_is_expected(settings) -> None:
    import json

    from classifier.serving.config import default_model_dir

    shipped = json.loads((default_model_dir() / "config.json").read_text())["version"]
    assert health.expected_model_version() == shipped


def test_readyz_says_the_broker_is_down_when_it_does_not_answer(staff_client, settings) -> None:
    from workers import app

    beat()
    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        app.pool.force_close_all()
        response = staff_client.get("/readyz")
    finally:
        app.conf.broker_url = old
        app.pool.force_close_all()
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    assert response.json()["checks"]["workers"]["ok"] is True


def test_a_beat_updates_one_row_per_process_and_forget_removes_it() -> None:
    first = beat(pid=7)
    again = beat(pid=7, model_version="v2")
    assert WorkerHeartbeat.objects.count() == 1
    assert again.pk == first.pk and again.model_version == "v2"
    beat(pid=8)
    heartbeat_forget(hostname="celery@w1", pid=7)
    assert list(WorkerHeartbeat.objects.values_list("pid", flat=True)) == [8]


def test_rows_of_processes_gone_for_a_day_are_dropped_by_the_next_beat() -> None:
    beat(pid=1, at=timezone.now() - timedelta(days=2))
    beat(pid=2)
    assert list(WorkerHeartbeat.objects.values_list("pid", flat=True)) == [2]


def test_readyz_is_unavailable_and_says_why_when_a_workers_model_cannot_be_loaded(staff_client) -> None:
    damaged = "ModelDamaged: head.weights.h5 does not match its checksum"
    beat(pid=7, model_version="", ready=False, reason=damaged)
    response = staff_client.get("/readyz")
    assert response.status_code == 503
    model = response.json()["checks"]["model"]
    assert model["ok"] is False and f"celery@w1 pid 7: {damaged}" in model["detail"]


def test_a_worker_that_cannot_serve_is_named_beside_one_that_serves(staff_client) -> None:
    beat(pid=7)
    beat(pid=8, model_version="", ready=False, reason="OSError: no such file")
    response = staff_client.get("/readyz")
    assert response.status_code == 200
    assert (
        "1 cannot serve: celery@w1 pid 8: OSError: no such file"
        in response.json()["checks"]["model"]["detail"]
    )


def test_a_process_that_stopped_taking_jobs_does_not_count_as_serving(staff_client) -> None:
    beat(pid=7, ready=False, reason="its pool cannot serve")
    assert staff_client.get("/readyz").status_code == 503
