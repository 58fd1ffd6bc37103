"""Thin views over sightings: history, one sighting (rename/confirm/annotate/delete, when/where), species."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from birdsite.photos.models import ClassificationJob
from birdsite.photos.payloads import job_payload
from birdsite.photos.selectors import current_predictions, jobs_for
from birdsite.sightings import catalog, local, observers, reviews, selectors, services
from birdsite.sightings.forms import SightingEditForm, SightingFilterForm, SightingPlaceForm


def in_observer_zone(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Dates on the page and in the form read in the owner's time zone (their account setting)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with timezone.override(observers.observer_zone(request.user)):
            return view(request, *args, **kwargs)

    return wrapped


def _with_model_confidence(page) -> None:
    """Each sighting of the page gets ``guess``: the model's prediction of its species, if it had one."""
    for sighting in page:
        predictions = current_predictions(sighting.job) if sighting.job else []
        named = [p for p in predictions if p.label == sighting.species_key]
        sighting.guess = named[0] if named else None


@login_required
@require_GET
@in_observer_zone
def sighting_list(request: HttpRequest) -> HttpResponse:
    form = SightingFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.sightings_for(
        user=request.user,
        species_key=filters.get("species") or None,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        status=filters.get("status") or "",
    )
    qs = qs.prefetch_related("job__predictions")  # the gallery's confidences, no query per tile
    page = Paginator(qs, settings.SIGHTINGS_PER_PAGE).get_page(request.GET.get("page"))
    _with_model_confidence(page)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "species_counts": selectors.species_counts_for(user=request.user),
        "query": query.urlencode(),
    }
    return render(request, "sightings/list.html", context)


def _place_initial(sighting) -> dict:
    near = observers.place_near(observers.places_for(sighting.owner), sighting.latitude, sighting.longitude)
    return {
        "observed_at": sighting.observed_at,
        # A place the owner named once fills the name of every sighting near it.
        "location_name": sighting.location_name or (near.name if near else ""),
        "latitude": sighting.latitude,
        "longitude": sighting.longitude,
    }


def _save(request: HttpRequest, sighting, form: SightingEditForm, place: SightingPlaceForm | None) -> None:
    """One form on the page, so one save: what it is, the notes, and (when sent) when and where.

    "Save" keeps the species unless it was changed; "Save and confirm" confirms the one chosen.
    """
    species_key = form.cleaned_data["species_key"] if "species_key" in request.POST else None
    if request.POST.get("action") == "save" and species_key == sighting.species_key:
        species_key = None
    with transaction.atomic():
        services.sighting_update(
            sighting=sighting,
            species_key=species_key,
            notes=form.cleaned_data["notes"],
            count=form.cleaned_data.get("count"),
        )
        if place is not None:
            services.sighting_set_place(sighting=sighting, **place.cleaned_data)


@login_required
@require_http_methods(["GET", "POST"])
@in_observer_zone
def sighting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sighting = get_object_or_404(selectors.sightings_for(user=request.user), pk=pk)
    posted = request.POST if request.method == "POST" else None
    form = SightingEditForm(posted, initial={"notes": sighting.notes, "count": sighting.count})
    # Older clients post the species and notes alone: the place is then kept as it is.
    sends_place = posted is not None and "observed_at" in posted
    place = SightingPlaceForm(posted if sends_place else None, initial=_place_initial(sighting))
    if posted is not None and form.is_valid() and (not sends_place or place.is_valid()):
        try:
            _save(request, sighting, form, place if sends_place else None)
        except services.UnknownSpecies as exc:
            form.add_error("species_key", str(exc))
        else:
            messages.success(request, "Saved.")
            return redirect("sightings:detail", sighting.pk)
    job = sighting.job
    predictions = current_predictions(job) if job else []
    chosen = posted.get("species_key", sighting.species_key) if posted is not None else sighting.species_key
    context = {
        "sighting": sighting,
        "form": form,
        "place_form": place,
        "chosen": chosen,
        "predictions": predictions,
        "predictions_labels": [p.label for p in predictions],
        "payload": job_payload(job) if job else None,
        "species": catalog.species_get(sighting.species_key),
    }
    failed = bool(form.errors or place.errors)
    return render(request, "sightings/detail.html", context, status=400 if failed else 200)


@login_required
@require_http_methods(["GET", "POST"])
def photo_name(request: HttpRequest, job_pk: int) -> HttpResponse:
    """A photo the model found no bird in becomes a sighting only when its owner names one here."""
    job = get_object_or_404(jobs_for(user=request.user), pk=job_pk, status=ClassificationJob.Status.SUCCEEDED)
    if job.sighting is not None:
        return redirect("sightings:detail", job.sighting.pk)
    form = SightingEditForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            sighting = services.sighting_name_photo(
                job=job,
                species_key=form.cleaned_data["species_key"],
                count=form.cleaned_data.get("count") or 1,
            )
        except services.UnknownSpecies as exc:
            form.add_error("species_key", str(exc))
        else:
            messages.success(request, f"Saved {sighting.common_name} to your sightings.")
            return redirect("sightings:detail", sighting.pk)
    context = {
        "job": job,
        "form": form,
        "predictions": current_predictions(job),
        "chosen": request.POST.get("species_key", ""),
    }
    return render(request, "sightings/name.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def sighting_suggestion(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner answers a reviewer's suggestion: ``accept`` renames the sighting, ``keep`` declines."""
    sighting = get_object_or_404(selectors.sightings_for(user=request.user), pk=pk)
    suggested = sighting.suggested_common_name or sighting.suggested_key
    if request.POST.get("answer") == "accept" and sighting.suggested_key:
        reviews.suggestion_accept(sighting=sighting)
        messages.success(request, f"Renamed to {suggested}, as the reviewer suggested.")
    elif request.POST.get("answer") == "keep":
        reviews.suggestion_keep(sighting=sighting)
        messages.success(request, "Kept your name; the suggestion is dismissed.")
    return redirect("sightings:detail", sighting.pk)


@login_required
@require_POST
def sighting_delete(request: HttpRequest, pk: int) -> HttpResponse:
    sighting = get_object_or_404(selectors.sightings_for(user=request.user), pk=pk)
    services.sighting_delete(sighting=sighting)
    messages.success(request, "Sighting deleted.")
    return redirect("sightings:list")


@login_required
@require_POST
def sighting_place(request: HttpRequest, pk: int) -> HttpResponse:
    sighting = get_object_or_404(selectors.sightings_for(user=request.user), pk=pk)
    form = SightingPlaceForm(request.POST)
    if form.is_valid():
        services.sighting_set_place(sighting=sighting, **form.cleaned_data)
        messages.success(request, "Date and place saved.")
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("sightings:detail", sighting.pk)


@login_required
@require_GET
@in_observer_zone
def species_detail(request: HttpRequest, key: str) -> HttpResponse:
    species = catalog.species_get(key)
    sightings = selectors.sightings_for(user=request.user, species_key=key)
    if species is None and not sightings.exists():
        raise Http404("No such species")
    page = Paginator(sightings.prefetch_related("job__predictions"), settings.SIGHTINGS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    _with_model_confidence(page)
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
def place_search(request: HttpRequest) -> JsonResponse:
    """Towns by name (offline), for the place of a photo without GPS."""
    found = local.place_search(request.GET.get("q", "")[:100])
    return JsonResponse(
        {"results": [{"name": p.name, "latitude": p.latitude, "longitude": p.longitude} for p in found]}
    )


@login_required
@require_GET
def species_search(request: HttpRequest) -> JsonResponse:
    results = catalog.species_search(request.GET.get("q", "")[:100], limit=20, user=request.user)
    return JsonResponse(
        {
            "results": [
                {"key": s.key, "common_name": s.common_name, "scientific_name": s.scientific_name}
                for s in results
            ]
        }
    )
