"""Thin views of the life list (and year lists) and the CSV / eBird exports of your sightings."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from birdsite.sightings import exports
from birdsite.sightings.forms import ExportForm
from birdsite.sightings.lifelist import lifelist_for
from birdsite.sightings.views import in_observer_zone


@login_required
@require_GET
@in_observer_zone
def lifelist(request: HttpRequest, year: int | None = None) -> HttpResponse:
    context = {"lifelist": lifelist_for(request.user, year=year), "year": year}
    return render(request, "sightings/lifelist.html", context)


def _export(request: HttpRequest, lines, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _export_options(request: HttpRequest) -> dict:
    form = ExportForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return {
        "include_unconfirmed": bool(data.get("unconfirmed")),
        "date_from": data.get("date_from"),
        "date_to": data.get("date_to"),
    }


@login_required
@require_GET
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    lines = exports.sightings_csv(request.user, **_export_options(request))
    return _export(request, lines, f"sightings-{timezone.localdate():%Y%m%d}.csv")


@login_required
@require_GET
def export_ebird(request: HttpRequest) -> StreamingHttpResponse:
    lines = exports.sightings_ebird_csv(request.user, **_export_options(request))
    return _export(request, lines, f"ebird-records-{timezone.localdate():%Y%m%d}.csv")
