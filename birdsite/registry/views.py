"""Thin staff views of the model registry: list, detail, retrain, promote, roll back."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from birdsite.registry import selectors, services
from birdsite.registry.models import ModelVersion
from birdsite.review.access import staff_required


@staff_required
@require_GET
def version_list(request: HttpRequest) -> HttpResponse:
    active = selectors.active_version()
    versions = list(selectors.versions_list())
    for v in versions:
        v.check = selectors.promotion_check(v, active) if v.status == ModelVersion.Status.CANDIDATE else None
        v.overall = selectors.overall(v.metrics.get("held_out"))
    context = {
        "active": active,
        "versions": versions,
        "events": selectors.events_list(),
        "rollback_target": selectors.rollback_target(),
        "last_retraining": selectors.last_retraining(),
        "new_species": selectors.new_species_counts(),
        "running": selectors.retraining_in_progress(),  # the page refreshes itself while one runs
    }
    return render(request, "registry/list.html", context)


@staff_required
@require_GET
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(selectors.versions_list(), pk=pk)
    context = {
        "version": version,
        "overall": selectors.overall(version.metrics.get("held_out")),
        "base_overall": selectors.overall(version.metrics.get("base_held_out")),
        "metrics_json": json.dumps(version.metrics, indent=2),
        "provenance_json": json.dumps(version.provenance, indent=2),
        "events": version.events.select_related("user", "previous"),
    }
    return render(request, "registry/detail.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def retrain(request: HttpRequest) -> HttpResponse:
    """GET (or a POST without ``confirm``): what a retraining does and how long the last one took; a
    confirmed POST queues it."""
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            row = services.retraining_start(user=request.user)
        except services.RegistryError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Retraining {row.version} queued; the retrain worker trains it.")
        return redirect("registry:list")
    context = {
        "last": selectors.last_retraining(),
        "running": selectors.retraining_in_progress(),
        "datasets": settings.RETRAIN_DATASETS,
        "queue": settings.RETRAIN_QUEUE,
    }
    return render(request, "registry/retrain_confirm.html", context)


@staff_required
@require_POST
def promote(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(ModelVersion, pk=pk)
    try:
        services.model_version_promote(
            version=version,
            user=request.user,
            force=request.POST.get("force") in ("1", "on"),
            reason=request.POST.get("reason", "")[:2000],
        )
    except services.RegistryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{version.version} is now active; workers switch within seconds.")
    return redirect("registry:list")


@staff_required
@require_POST
def rollback(request: HttpRequest) -> HttpResponse:
    try:
        target = services.model_version_rollback(user=request.user, reason=request.POST.get("reason", ""))
    except services.RegistryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Rolled back: {target.version} is active again.")
    return redirect("registry:list")
