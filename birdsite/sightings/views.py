"""Thin views over sightings: history, one sighting (rename/confirm/annotate/delete), species."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from birdsite.photos.selectors import current_predictions, job_payload
from birdsite.sightings import catalog, selectors, services
from birdsite.sightings.forms import SightingEditForm, SightingFilterForm


@login_required
@require_GET
def sighting_list(request: HttpRequest) -> HttpResponse:
    form = SightingFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.sightings_for(
        user=request.user,
        species_key=filters.get("species") or None,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = Paginator(qs, settings.SIGHTINGS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "species_counts": selectors.species_counts_for(user=request.user),
        "query": query.urlencode(),
    }
    return render(request, "sightings/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def sighting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sighting = get_object_or_404(selectors.sightings_for(user=request.user), pk=pk)
    form = SightingEditForm(request.POST or None, initial={"notes": sighting.notes})
    if request.method == "POST" and form.is_valid():
        species_key = form.cleaned_data["species_key"] if "species_key" in request.POST else None
        try:
            services.sighting_update(
                sighting=sighting, species_key=species_key, notes=form.cleaned_data["notes"]
            )
        except services.UnknownSpecies as exc:
            form.add_error("species_key", str(exc))
        else:
            messages.success(request, "Saved.")
            return redirect("sightings:detail", sighting.pk)
    job = sighting.job
    predictions = current_predictions(job) if job else []
    context = {
        "sighting": sighting,
        "form": form,
        "predictions": predictions,
        "predictions_labels": [p.label for p in predictions],
        "payload": job_payload(job) if job else None,
        "species": catalog.species_get(sighting.species_key),
    }
    return render(request, "sightings/detail.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def sighting_delete(request: HttpRequest, pk: int) -> HttpResponse:
    sighting = get_object_or_404(selectors.sightings_for(user=request.user), pk=pk)
    services.sighting_delete(sighting=sighting)
    messages.success(request, "Sighting deleted.")
    return redirect("sightings:list")


@login_required
@require_GET
def species_detail(request: HttpRequest, key: str) -> HttpResponse:
    species = catalog.species_get(key)
    sightings = selectors.sightings_for(user=request.user, species_key=key)
    if species is None and not sightings.exists():
        raise Http404("No such species")
    page = Paginator(sightings, settings.SIGHTINGS_PER_PAGE).get_page(request.GET.get("page"))
    first = sightings.last()
    context = {
        "key": key,
        "species": species,
        "page": page,
        "fallback_name": first.common_name if first else key,
    }
    return render(request, "sightings/species.html", context)


@login_required
@require_GET
def species_search(request: HttpRequest) -> JsonResponse:
    results = catalog.species_search(request.GET.get("q", "")[:100], limit=20)
    return JsonResponse(
        {
            "results": [
                {"key": s.key, "common_name": s.common_name, "scientific_name": s.scientific_name}
                for s in results
            ]
        }
    )
