"""Thin views: the upload page, the job page and its JSON, and owner-only image files."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from birdsite.classification import services as classification_services
from birdsite.photos import selectors, serving
from birdsite.photos.forms import UploadForm
from birdsite.photos.images import UploadRejected


def push_available() -> bool:
    """False with the in-memory channel layer: the worker cannot reach the page, so it polls."""
    return "InMemory" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    # Bound on every POST, so a POST without a file gets "this field is required", not an empty error.
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST":
        if form.is_valid():
            try:
                job = classification_services.classification_submit(
                    owner=request.user, upload=form.cleaned_data["image"]
                )
            except UploadRejected as exc:
                if _wants_json(request):
                    return JsonResponse({"code": exc.code, "error": exc.message}, status=400)
                form.add_error("image", exc.message)
            else:
                if _wants_json(request):
                    return JsonResponse(selectors.job_payload(job), status=201)
                return redirect("photos:job", job.pk)
        elif _wants_json(request):
            return JsonResponse({"code": "invalid", "error": form.errors.get_json_data()}, status=400)
    recent = selectors.jobs_for(user=request.user)[:6]
    context = {"form": form, "recent": recent, "push_available": push_available()}
    return render(request, "photos/upload.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(selectors.jobs_for(user=request.user), pk=pk)
    context = {"job": job, "payload": selectors.job_payload(job), "push_available": push_available()}
    return render(request, "photos/job.html", context)


@never_cache
@login_required
@require_GET
def job_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = get_object_or_404(selectors.jobs_for(user=request.user), pk=pk)
    return JsonResponse(selectors.job_payload(job))


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
