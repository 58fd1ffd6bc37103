"""Thin views: probes, the Prometheus endpoint and the staff System and storage pages."""

from __future__ import annotations

import hmac
from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from birdsite.ops import charts, health, retention, selectors
from birdsite.ops import metrics as site_metrics
from birdsite.review.access import staff_required


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing else is asked (no database), so a busy database never restarts it."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready or not (200/503) for anybody; what each check found (database vendor, queue depths, workers,
    model version: a map for an attacker) only for staff and for the holders of the metrics credentials."""
    report = health.readiness()
    details = request.user.is_staff or _metrics_allowed(request)
    return JsonResponse(report.as_dict(details=details), status=200 if report.ok else 503)


def _metrics_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    if not settings.METRICS_ALLOWED_NETWORKS or "X-Forwarded-For" in request.headers:
        return False  # a request relayed by a proxy comes from the proxy's address: not proof of inside
    try:
        address = ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _metrics_allowed(request):
        response = HttpResponse(
            "Metrics need METRICS_TOKEN (Authorization: Bearer ...) or a METRICS_ALLOWED_NETWORKS address.\n",
            status=401 if settings.METRICS_TOKEN else 403,
            content_type="text/plain; charset=utf-8",
        )
        if settings.METRICS_TOKEN:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(site_metrics.render(), content_type="text/plain; version=0.0.4; charset=utf-8")


@staff_required
@require_GET
def system(request: HttpRequest) -> HttpResponse:
    context = {
        "readiness": health.readiness(),
        "depths": health.broker_queue_depths(),
        "workers": selectors.workers_seen(),
        "expected_model": health.expected_model_version(),
        "jobs": selectors.jobs_by_state(),
        "disk": selectors.media_disk(),
        "originals_bytes": selectors.originals_bytes(),
        "retrain_runs": {k: v for k, v in selectors.retrain_runs().items() if v},
        "latency_chart": mark_safe(charts.latency_chart(selectors.latency_last_day())),  # noqa: S308 - escaped
    }
    return render(request, "ops/system.html", context)


@staff_required
@require_GET
def storage(request: HttpRequest) -> HttpResponse:
    policy = retention.policy_from_settings()
    context = {
        "report": selectors.storage_report(),
        "policy": policy,
        "plan": retention.retention_plan(policy=policy) if policy.active else None,
    }
    return render(request, "ops/storage.html", context)
