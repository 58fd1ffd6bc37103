"""Thin API views of the batch resource: many photos or one ZIP at once, progress, cancel
(services in birdsite/batches)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from birdsite.api import batch_serializers as s
from birdsite.api.base import ListApi
from birdsite.api.exceptions import refusal_error
from birdsite.api.throttling import UPLOAD_THROTTLES
from birdsite.batches import selectors as batch_selectors
from birdsite.batches import services as batch_services
from birdsite.batches.archives import ArchiveRefused


class BatchListApi(ListApi):
    serializer_class = s.BatchSerializer

    def get_throttles(self) -> list[Any]:
        return [t() for t in UPLOAD_THROTTLES] if self.request.method == "POST" else []

    @extend_schema(
        tags=["batches"],
        operation_id="batches_list",
        responses=s.BatchSerializer(many=True),
        summary="Your batches, newest first",
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(batch_selectors.batches_for(user=request.user), request, view=self)
        progress = [batch_selectors.batch_progress(batch) for batch in page or []]
        data = s.BatchSerializer(progress, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        tags=["batches"],
        request={"multipart/form-data": s.BatchCreateSerializer},
        responses={202: s.BatchAcceptedSerializer},
        summary="Many photos at once: repeated `images` or one ZIP `archive`; answers at once (202)",
    )
    def post(self, request: Request) -> Response:
        form = s.BatchCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            if data.get("archive"):
                batch = batch_services.batch_create_from_zip(
                    user=request.user, archive=data["archive"], name=data["name"]
                )
            else:
                batch = batch_services.batch_create(
                    user=request.user, files=data["images"], name=data["name"]
                )
        except (batch_services.BatchRefused, ArchiveRefused) as exc:
            raise refusal_error(exc) from exc
        url = reverse("api:batch-detail", args=[batch.pk], request=request)
        body = {"id": batch.pk, "status": batch.status, "url": url}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": url})


class BatchDetailApi(APIView):
    @extend_schema(
        tags=["batches"],
        responses=s.BatchDetailSerializer,
        summary="Progress of one batch and the outcome of each file",
    )
    def get(self, request: Request, pk: int) -> Response:
        batch = get_object_or_404(batch_selectors.batches_for(user=request.user), pk=pk)
        body = {**batch_selectors.batch_progress(batch), "items": batch_selectors.batch_items(batch)}
        return Response(s.BatchDetailSerializer(body, context={"request": request}).data)


class BatchCancelApi(APIView):
    @extend_schema(
        tags=["batches"],
        request=None,
        responses=s.BatchSerializer,
        operation_id="batches_cancel",
        summary="Cancel a batch: files not started yet are not classified",
    )
    def post(self, request: Request, pk: int) -> Response:
        get_object_or_404(batch_selectors.batches_for(user=request.user), pk=pk)
        batch = batch_services.batch_cancel(user=request.user, batch_id=pk)
        progress = batch_selectors.batch_progress(batch)
        return Response(s.BatchSerializer(progress, context={"request": request}).data)
