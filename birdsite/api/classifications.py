"""Thin API views of the classification resource: upload a photo (or a region of it), poll, delete."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from birdsite.api import classification_serializers as s
from birdsite.api.base import ListApi, wait_slots
from birdsite.api.exceptions import ApiError
from birdsite.api.throttling import UPLOAD_THROTTLES
from birdsite.classification import services as classification_services
from birdsite.photos import selectors as photo_selectors
from birdsite.photos import services as photo_services


class ClassificationListApi(ListApi):
    serializer_class = s.ClassificationSerializer

    def get_throttles(self) -> list[Any]:
        return [t() for t in UPLOAD_THROTTLES] if self.request.method == "POST" else []

    @extend_schema(
        tags=["classifications"],
        operation_id="classifications_list",
        responses=s.ClassificationSerializer(many=True),
        summary="Your classifications, newest first",
    )
    def get(self, request: Request) -> Response:
        jobs = photo_selectors.jobs_for(user=request.user).prefetch_related("sightings")
        return self.paginated(request, jobs.prefetch_related("predictions", "answers"))

    @extend_schema(
        tags=["classifications"],
        request={"multipart/form-data": s.ClassificationCreateSerializer},
        responses={202: s.ClassificationAcceptedSerializer},
        summary="Upload one photo to identify; answers at once (202) with the job to poll",
    )
    def post(self, request: Request) -> Response:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > settings.UPLOAD_MAX_BYTES + 64 * 1024:
            raise ApiError(
                code="too_large",
                message=f"The upload is over the limit of {settings.UPLOAD_MAX_BYTES / 1e6:.0f} MB.",
                status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        form = s.ClassificationCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        job = classification_services.classification_submit(
            owner=request.user, upload=form.validated_data["image"], region=form.validated_data.get("region")
        )
        return _accepted(request, job)


def _accepted(request: Request, job: Any) -> Response:
    url = reverse("api:classification-detail", args=[job.pk], request=request)
    body = {"id": job.pk, "status": job.status, "url": url}
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": url})


class ClassificationRegionApi(APIView):
    """Name another part of a photo you classified: a new classification beside the old one."""

    def get_throttles(self) -> list[Any]:
        # Only a POST makes a job; the photo budget reads the body, so any other method would get 415.
        return [t() for t in UPLOAD_THROTTLES] if self.request.method == "POST" else []

    @extend_schema(
        tags=["classifications"],
        request=s.ClassificationRegionSerializer,
        responses={202: s.ClassificationAcceptedSerializer},
        summary="Identify this part: classify a region of the same photo again (the old answer stays)",
    )
    def post(self, request: Request, pk: int) -> Response:
        job = get_object_or_404(photo_selectors.jobs_for(user=request.user), pk=pk)
        form = s.ClassificationRegionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        again = classification_services.classification_of_region(
            owner=request.user, photo=job.photo, region=form.validated_data["region"]
        )
        return _accepted(request, again)


class ClassificationDetailApi(APIView):
    @extend_schema(
        tags=["classifications"],
        parameters=[s.ClassificationWaitSerializer],
        responses=s.ClassificationSerializer,
        summary="One classification; `?wait=N` holds the answer until it finishes",
    )
    def get(self, request: Request, pk: int) -> Response:
        query = s.ClassificationWaitSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        job = get_object_or_404(photo_selectors.jobs_for(user=request.user), pk=pk)
        wait = min(query.validated_data["wait"], settings.API_WAIT_MAX_SECONDS)
        if wait and not job.is_finished and wait_slots().acquire(blocking=False):
            try:
                job = photo_selectors.job_wait(job=job, timeout=wait)
            finally:
                wait_slots().release()
        return Response(s.ClassificationSerializer(job, context={"request": request}).data)

    @extend_schema(
        tags=["classifications"],
        responses={204: None},
        summary="Delete the photo of this classification, with every classification and sighting of it",
    )
    def delete(self, request: Request, pk: int) -> Response:
        # A photo with no bird has no sighting to delete it by: this is its way out (and the quota's).
        job = get_object_or_404(photo_selectors.jobs_for(user=request.user), pk=pk)
        photo_services.photo_delete(photo=job.photo)
        return Response(status=204)
