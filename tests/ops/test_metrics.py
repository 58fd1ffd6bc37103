"""/metrics: who may read it, and that its numbers come from the rows (jobs, heartbeats, registry)."""

from __future__ import annotations

from datetime import timedelta
from ipaddress import ip_network

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from birdsite.ops import selectors
from birdsite.photos.models import ClassificationJob
from birdsite.registry.models import ModelVersion
from tests.helpers import finished_job, submit
from tests.ops.conftest import beat

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-tests"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def get() -> dict[str, list]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        samples: dict[str, list] = {}
        for family in text_string_to_metric_families(response.content.decode()):
            for sample in family.samples:
                samples.setdefault(sample.name, []).append(sample)
        return samples

    return get


def value(samples: dict[str, list], name: str, **labels: str) -> float:
    found = [s.value for s in samples.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (name, labels, samples.get(name))
    return found[0]


def test_metrics_are_refused_without_the_token(client, settings) -> None:
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


def test_metrics_are_refused_when_nothing_allows_them(client, settings) -> None:
    settings.METRICS_TOKEN = None
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics").status_code == 403


def test_an_allowed_network_reads_them_but_not_through_a_proxy(client, settings) -> None:
    settings.METRICS_TOKEN = None
    settings.METRICS_ALLOWED_NETWORKS = [ip_network("127.0.0.0/8")]
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403


def test_jobs_by_state_count_the_rows(scrape, owner, fake_classifier) -> None:
    finished_job(owner)
    finished_job(owner)
    submit(owner)
    samples = scrape()
    assert value(samples, "birdsite_jobs", state="succeeded") == 2
    assert value(samples, "birdsite_jobs", state="pending") == 1
    assert value(samples, "birdsite_jobs", state="failed") == 0


def test_the_latency_histogram_is_built_from_created_and_finished_times(scrape, owner) -> None:
    now = timezone.now()
    for seconds in (0.3, 4, 40, 4000):
        job = finished_job(owner)
        ClassificationJob.objects.filter(pk=job.pk).update(
            created_at=now - timedelta(seconds=seconds), finished_at=now
        )
    samples = scrape()
    name = "birdsite_job_latency_seconds_bucket"
    assert value(samples, name, status="succeeded", le="0.5") == 1
    assert value(samples, name, status="succeeded", le="5.0") == 2
    assert value(samples, name, status="succeeded", le="60.0") == 3
    assert value(samples, name, status="succeeded", le="+Inf") == 4
    assert value(samples, "birdsite_job_latency_seconds_count", status="succeeded") == 4
    total = value(samples, "birdsite_job_latency_seconds_sum", status="succeeded")
    assert total == pytest.approx(4044.3, abs=0.01)


def test_queue_depth_is_asked_of_the_broker_per_queue(scrape, settings) -> None:
    from workers import app

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with app.connection_for_write() as conn:
        conn.SimpleQueue(queue).put({"probe": 1})
        conn.SimpleQueue(queue).put({"probe": 2})
    try:
        samples = scrape()
        assert value(samples, "birdsite_broker_up") == 1
        assert value(samples, "birdsite_queue_depth", queue=queue) == 2
    finally:
        with app.connection_for_write() as conn:
            conn.SimpleQueue(queue).clear()


def test_worker_heartbeat_age_and_model_version_per_process(scrape) -> None:
    beat(hostname="celery@a", pid=11, model_version="m-1", at=timezone.now() - timedelta(seconds=30))
    beat(hostname="celery@b", pid=12, model_version="m-2")
    samples = scrape()
    assert 29 < value(samples, "birdsite_worker_heartbeat_age_seconds", hostname="celery@a", pid="11") < 60
    assert value(samples, "birdsite_worker_heartbeat_age_seconds", hostname="celery@b", pid="12") < 10
    assert value(samples, "birdsite_worker_model_info", hostname="celery@a", model_version="m-1") == 1
    assert value(samples, "birdsite_worker_model_info", hostname="celery@b", model_version="m-2") == 1


def test_storage_and_retrain_runs(scrape, owner, fake_classifier) -> None:
    job = finished_job(owner)
    ModelVersion.objects.create(version="r-1", status=ModelVersion.Status.FAILED)
    ModelVersion.objects.create(version="r-2", status=ModelVersion.Status.CANDIDATE)
    samples = scrape()
    assert value(samples, "birdsite_storage_bytes", kind="originals") == job.photo.size_bytes
    assert value(samples, "birdsite_storage_bytes", kind="database") > 0
    assert value(samples, "birdsite_storage_bytes", kind="media_disk_free") > 0
    assert value(samples, "birdsite_retrain_runs", status="failed") == 1
    assert value(samples, "birdsite_retrain_runs", status="candidate") == 1


def test_request_latency_is_labelled_by_route_pattern_not_path(scrape, owner_client, owner) -> None:
    job = finished_job(owner)
    name, labels = "birdsite_http_request_duration_seconds_count", {"method": "GET", "status": "2xx"}
    before = scrape()
    for _ in range(3):
        assert owner_client.get(f"/sightings/{job.sighting.pk}/").status_code == 200
    after = scrape()
    routes = {s.labels["route"] for s in after[name]}
    assert not any(str(job.sighting.pk) in r for r in routes)  # no raw ids: one series per pattern
    pattern = "sightings/<int:pk>/"
    old = [s.value for s in before.get(name, []) if s.labels["route"] == pattern] or [0.0]
    assert value(after, name, route=pattern, **labels) == old[0] + 3


def test_selectors_bucket_the_last_day_by_hour(owner) -> None:
    now = timezone.now().replace(minute=30)
    for seconds, hours_ago in ((2, 0), (4, 0), (100, 0), (10, 5)):
        job = finished_job(owner)
        finished = now - timedelta(hours=hours_ago)
        ClassificationJob.objects.filter(pk=job.pk).update(
            created_at=finished - timedelta(seconds=seconds), finished_at=finished
        )
    hours = selectors.latency_last_day(now=now)
    assert len(hours) == 24
    assert (hours[-1].count, hours[-1].median, hours[-1].p95) == (3, 4.0, 100.0)
    assert (hours[-6].count, hours[-6].median) == (1, 10.0)
    assert sum(h.count for h in hours) == 4
