"""Thin staff views: the review queue, a decision, the photo, the catalog search, the dashboard."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from birdsite.photos import serving
from birdsite.photos.models import ClassificationJob
from birdsite.photos.selectors import current_predictions
from birdsite.review import charts, selectors, services, stats
from birdsite.review.access import staff_required
from birdsite.review.models import ReviewDecision
from birdsite.sightings import catalog


def _queue_url(filters: selectors.QueueFilters) -> str:
    query = urlencode(filters.as_query())
    return reverse("review:queue") + (f"?{query}" if query else "")


def _judged_box(item: ClassificationJob | None) -> dict[str, float] | None:
    """Bird 0's box of the job's current predictions as CSS percentages; None for the whole photo."""
    rows = current_predictions(item) if item is not None else []
    box = rows[0].part_box if rows else None
    if not box:
        return None
    x, y, w, h = (float(v) * 100 for v in box)
    return {"left": x, "top": y, "width": w, "height": h}


def _species_key(filters: selectors.QueueFilters) -> selectors.QueueFilters:
    """The species filter as a catalog key, whatever a reviewer typed: a key, a name or a banding code."""
    if not filters.species or catalog.species_get(filters.species) is not None:
        return filters
    found = catalog.species_search(filters.species, limit=1)
    return replace(filters, species=found[0].key) if found else filters


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    filters = _species_key(selectors.QueueFilters.from_query(request.GET))
    job_id = request.GET.get("job")
    item = selectors.queue_item(
        reviewer=request.user, filters=filters, job_id=int(job_id) if job_id and job_id.isdigit() else None
    )
    sighting = getattr(item, "sighting", None) if item else None
    context = {
        "filters": filters,
        "filter_query": urlencode(filters.as_query()),
        "item": item,
        "predictions": selectors.predictions_of(item) if item else [],
        "judged_box": _judged_box(item),
        "sighting": sighting,
        "new_species": selectors.is_new_species(sighting.species_key) if sighting is not None else False,
        "remaining": selectors.review_queue(reviewer=request.user, filters=filters).count(),
        "versions": selectors.model_versions_seen(),
        "filter_species": catalog.species_get(filters.species) if filters.species else None,
        "verdicts": ReviewDecision.Verdict,
    }
    return render(request, "review/queue.html", context)


@staff_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job_for_review(job_id=pk)
    if job is None:
        raise Http404("No such classification.")
    filters = selectors.QueueFilters.from_query(request.POST)
    try:
        decision = services.review_decide(
            job=job,
            reviewer=request.user,
            verdict=request.POST.get("verdict", ""),
            label=request.POST.get("label", ""),
        )
    except services.ReviewRejected as exc:
        messages.error(request, str(exc))
        return redirect(_queue_url(filters) + ("&" if filters.as_query() else "?") + f"job={pk}")
    messages.success(request, f"Job {pk}: {decision.get_verdict_display()} {decision.common_name}".strip())
    return redirect(_queue_url(filters))


@staff_required
@require_GET
def image(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job_for_review(job_id=pk)
    if job is None:
        raise Http404("No such classification.")
    # Staff see the photo, not where it was taken: the owner's place stays the owner's.
    return serving.photo_response(
        job.photo.image, max_age=3600, without_location=True, fallback=job.photo.thumbnail
    )


@staff_required
@require_GET
def species_search(request: HttpRequest) -> JsonResponse:
    results = catalog.species_search(request.GET.get("q", "")[:100], limit=12)  # staff: the model's own first
    return JsonResponse(
        {"results": [{"key": s.key, "name": s.common_name, "sci": s.scientific_name} for s in results]}
    )


@staff_required
@require_GET
def decision_history(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(selectors.ClassificationJob, pk=pk)
    context = {
        "job": job,
        "predictions": selectors.predictions_of(job),
        "decisions": selectors.decisions_of(job=job),
    }
    return render(request, "review/history.html", context)


@staff_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    version = request.GET.get("model_version", "")[:64]
    data = stats.dashboard(model_version=version)
    context = {
        "data": data,
        "model_version": version,
        "versions": selectors.model_versions_seen(),
        "calibration_svg": mark_safe(charts.calibration_chart(data.calibration)),  # noqa: S308 - escaped
        "versions_svg": mark_safe(charts.agreement_bars(data.versions, "Agreement per model version")),  # noqa: S308
        "species_svg": mark_safe(charts.agreement_bars(data.species, "Species reviewers corrected most")),  # noqa: S308
        "recent": selectors.recent_decisions(),
    }
    return render(request, "review/dashboard.html", context)
