"""Prometheus metrics: request latency measured here, everything else read from the rows at scrape time.

Reading the rows (jobs, heartbeats, registry) rather than counting in-process means every web process
answers the same numbers, and a restart loses nothing; the histogram of upload -> result latency is built
from each finished job's created_at and finished_at.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

from django.http import HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from birdsite.ops import health, selectors

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
REQUEST_SECONDS = Histogram(
    "birdsite_http_request_duration_seconds",
    "Time to answer an HTTP request, by route pattern, method and status class.",
    ["route", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)


class RequestMetricsMiddleware:
    """Times every request; the label is the URL pattern (``sightings/<int:pk>/``), never the raw path."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = (match.route or match.view_name) if match else "unmatched"
        REQUEST_SECONDS.labels(route, request.method or "", f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started
        )
        return response


class SiteCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        try:
            yield from self._from_database()
        except Exception:
            log.warning("metrics: the database could not be read", exc_info=True)
            yield GaugeMetricFamily("birdsite_database_up", "1 when the database answered this scrape.", 0)
            return
        yield GaugeMetricFamily("birdsite_database_up", "1 when the database answered this scrape.", 1)
        depths = health.broker_queue_depths()
        yield GaugeMetricFamily(
            "birdsite_broker_up", "1 when the broker answered this scrape.", int(bool(depths is not None))
        )
        queue = GaugeMetricFamily(
            "birdsite_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        for name, depth in (depths or {}).items():
            queue.add_metric([name], depth)
        yield queue

    def _from_database(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily("birdsite_jobs", "Classification jobs by state.", labels=["state"])
        for state, n in selectors.jobs_by_state().items():
            jobs.add_metric([state], n)
        latency = HistogramMetricFamily(
            "birdsite_job_latency_seconds",
            "Upload to result (created_at to finished_at) of finished jobs.",
            labels=["status"],
        )
        for status in (selectors.Status.SUCCEEDED, selectors.Status.FAILED):
            h = selectors.latency_histogram(status=status)
            buckets = [(_bound(b), float(n)) for b, n in h.buckets] + [("+Inf", float(h.count))]
            latency.add_metric([status.value], buckets, h.total_seconds)
        age = GaugeMetricFamily(
            "birdsite_worker_heartbeat_age_seconds",
            "Seconds since a worker process last beat (processes seen in the last hour).",
            labels=["hostname", "pid"],
        )
        info = GaugeMetricFamily(
            "birdsite_worker_model_info",
            "The model version a worker process has loaded.",
            labels=["hostname", "pid", "model_version"],
        )
        for w in selectors.workers_seen():
            age.add_metric([w.hostname, str(w.pid)], w.age_seconds)
            info.add_metric([w.hostname, str(w.pid), w.model_version], 1)
        expected = GaugeMetricFamily(
            "birdsite_active_model_info", "The model version workers should serve.", labels=["model_version"]
        )
        expected.add_metric([health.expected_model_version()], 1)
        storage = GaugeMetricFamily("birdsite_storage_bytes", "Bytes stored.", labels=["kind"])
        storage.add_metric(["originals"], selectors.originals_bytes())
        database = selectors.database_bytes()
        if database is not None:
            storage.add_metric(["database"], database)
        disk = selectors.media_disk()
        if disk is not None:
            storage.add_metric(["media_disk_used"], disk.used)
            storage.add_metric(["media_disk_free"], disk.free)
        runs = GaugeMetricFamily(
            "birdsite_retrain_runs", "Model versions in the registry by status.", labels=["status"]
        )
        for status, n in selectors.retrain_runs().items():
            runs.add_metric([status], n)
        yield from (jobs, latency, age, info, expected, storage, runs)


def _bound(seconds: float) -> str:
    return repr(float(seconds))


REGISTRY.register(SiteCollector())


def render() -> bytes:
    return generate_latest(REGISTRY)
