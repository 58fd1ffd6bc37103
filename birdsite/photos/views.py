"""Thin views: owner-only photo files (the upload and job pages are ``birdsite.classification.views``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from birdsite.photos import selectors, serving


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
