"""Thin views: the upload page, a job's page and its JSON, and "Identify this part" of a photo."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from birdsite.classification import services as classification_services
from birdsite.errors import Refused, refusal_body, refusal_response
from birdsite.photos import payloads, selectors
from birdsite.photos.forms import UploadForm
from birdsite.photos.push import push_available
from birdsite.ratelimits import uploads_throttled


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@uploads_throttled
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
            except Refused as exc:
                if _wants_json(request):
                    return refusal_response(exc)
                form.add_error("image", exc.message)
            else:
                if _wants_json(request):
                    return JsonResponse(payloads.job_payload(job), status=201)
                return redirect("photos:job", job.pk)
        elif _wants_json(request):
            # One sentence the page shows as it is (a dict of field errors made it say "refused").
            (first, *_) = form.errors.get_json_data().get("image") or [{"code": "invalid", "message": ""}]
            message = first["message"] or "The upload was refused."
            return JsonResponse(refusal_body(first["code"], message), status=400)
    recent = selectors.jobs_for(user=request.user)[:6]
    context = {"form": form, "recent": recent, "push_available": push_available()}
    return render(request, "photos/upload.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(selectors.jobs_for(user=request.user), pk=pk)
    context = {"job": job, "payload": payloads.job_payload(job), "push_available": push_available()}
    return render(request, "photos/job.html", context)


@never_cache
@login_required
@require_GET
def job_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = get_object_or_404(selectors.jobs_for(user=request.user), pk=pk)
    return JsonResponse(payloads.job_payload(job))


@login_required
@uploads_throttled
@require_POST
def job_region(request: HttpRequest, pk: int) -> JsonResponse:
    """A new job on the job's photo for the box the user drew (JSON ``{"region": [x, y, w, h]}``)."""
    job = get_object_or_404(selectors.jobs_for(user=request.user), pk=pk)
    try:
        region = json.loads(request.body or b"{}").get("region")
        again = classification_services.classification_of_region(
            owner=request.user, photo=job.photo, region=region
        )
    except (ValueError, AttributeError):
        return JsonResponse(refusal_body("invalid_region", 'Send {"region": [x, y, w, h]}.'), status=400)
    except Refused as exc:
        return refusal_response(exc)
    return JsonResponse(payloads.job_payload(again), status=201)
