"""Thin views: owner-only photo files (the upload and job pages are ``birdsite.classification.views``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST

from birdsite.photos import selectors, services, serving


def _owned_file(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    photo = get_object_or_404(selectors.photos_for(user=request.user), pk=pk)
    file = getattr(photo, field)
    if not file:
        file = photo.image
    return serving.photo_response(file, max_age=86400, without_location=False)


@login_required
@require_GET
def image(request: HttpRequest, pk: int) -> HttpResponse:
    return _owned_file(request, pk, "image")


@login_required
@require_GET
def thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    return _owned_file(request, pk, "thumbnail")


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """The photo, its classifications and sightings: the only way out for a photo with no bird in it."""
    photo = get_object_or_404(selectors.photos_for(user=request.user), pk=pk)
    services.photo_delete(photo=photo)
    messages.success(request, "The photo was deleted.")
    return redirect("photos:upload")
