"""Thin views: the batch page (new batch + your batches), one batch's progress, its files, cancel."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from birdsite.batches import selectors, services
from birdsite.batches.archives import ArchiveRefused
from birdsite.batches.models import Batch
from birdsite.batches.presentation import items_for_page
from birdsite.errors import Refused, refusal_response
from birdsite.photos.push import push_available
from birdsite.ratelimits import uploads_throttled


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _error(request: HttpRequest, exc: Refused) -> HttpResponse:
    if _wants_json(request):
        return refusal_response(exc)
    messages.error(request, exc.message)
    for problem in getattr(exc, "problems", [])[:20]:
        messages.error(request, f"{problem.name or 'archive'}: {problem.message}")
    return redirect("batches:list")


def _created(request: HttpRequest, batch: Batch) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(selectors.batch_progress(batch), status=201)
    return redirect("batches:detail", batch.pk)


def _expected(request: HttpRequest) -> int:
    try:
        return max(0, int(request.POST.get("expected", "0")))
    except ValueError:
        return 0


@login_required
@uploads_throttled
@require_http_methods(["GET", "POST"])
def batch_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            if "archive" in request.FILES:
                batch = services.batch_create_from_zip(user=request.user, archive=request.FILES["archive"])
            else:
                files = request.FILES.getlist("files")
                batch = services.batch_create(
                    user=request.user,
                    files=files,
                    expected=_expected(request),
                    name=request.POST.get("name", ""),
                )
        except (ArchiveRefused, services.BatchRefused) as exc:
            return _error(request, exc)
        return _created(request, batch)
    batches = selectors.batches_for(user=request.user)[:20]
    rows = [(b, selectors.batch_progress(b)) for b in batches]
    return render(request, "batches/list.html", {"rows": rows, "push_available": push_available()})


@login_required
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(selectors.batches_for(user=request.user), pk=pk)
    context = {
        "batch": batch,
        "payload": selectors.batch_progress(batch),
        "items": items_for_page(selectors.batch_items(batch)),
        "push_available": push_available(),
    }
    return render(request, "batches/detail.html", context)


@login_required
@uploads_throttled(new_request=False)  # a further group of the batch: its photos count, not the request
@require_POST
def batch_files(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(selectors.batches_for(user=request.user), pk=pk)
    try:
        batch = services.batch_add_files(user=request.user, batch_id=pk, files=request.FILES.getlist("files"))
    except services.BatchRefused as exc:
        return _error(request, exc)
    return JsonResponse(selectors.batch_progress(batch))


@never_cache
@login_required
@require_GET
def batch_status(request: HttpRequest, pk: int) -> JsonResponse:
    batch = get_object_or_404(selectors.batches_for(user=request.user), pk=pk)
    return JsonResponse(selectors.batch_progress(batch))


@never_cache
@login_required
@require_GET
def batch_items(request: HttpRequest, pk: int) -> JsonResponse:
    batch = get_object_or_404(selectors.batches_for(user=request.user), pk=pk)
    return JsonResponse({"items": items_for_page(selectors.batch_items(batch))})


@login_required
@require_POST
def batch_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(selectors.batches_for(user=request.user), pk=pk)
    batch = services.batch_cancel(user=request.user, batch_id=pk)
    if _wants_json(request):
        return JsonResponse(selectors.batch_progress(batch))
    messages.success(request, "Batch cancelled.")
    return redirect("batches:detail", pk)
