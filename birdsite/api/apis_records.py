"""Thin API views over batches (birdsite/batches), the life list and exports (birdsite/sightings)."""

from __future__ import annotations

from typing import Any

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from birdsite.api import serializers_records as s
from birdsite.api.apis import ListApi
from birdsite.api.exceptions import refusal_error
from birdsite.api.throttling import UPLOAD_THROTTLES
from birdsite.batches import selectors as batch_selectors
from birdsite.batches import services as batch_services
from birdsite.batches.archives import ArchiveRefused
from birdsite.sightings import exports, lifelist

# --- Batches -------------------------------------------------------------------------------------


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


# --- Life list and exports -----------------------------------------------------------------------


class LifeListApi(APIView):
    @extend_schema(
        tags=["sightings"],
        parameters=[s.LifeListQuerySerializer],
        responses=s.LifeListSerializer,
        summary="Your life list (confirmed species, first seen), or one year's list",
    )
    def get(self, request: Request) -> Response:
        query = s.LifeListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = lifelist.lifelist_for(request.user, year=query.validated_data.get("year"))
        return Response(s.LifeListSerializer(result).data)


class JsonErrorsNegotiation(BaseContentNegotiation):
    """CSV views stream their own body; errors are always JSON, whatever ``Accept`` says."""

    def select_renderer(self, request: Any, renderers: list[Any], format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type

    def select_parser(self, request: Any, parsers: list[Any]) -> Any:
        # A body sent anyway (a POST) is parsed like any other, so the CSRF check and the 405 answer it,
        # not a 415 about its media type.
        return DefaultContentNegotiation().select_parser(request, parsers)


class _CsvExportApi(APIView):
    content_negotiation_class = JsonErrorsNegotiation
    filename = "export.csv"

    def lines(self, request: Request, filters: dict[str, Any]) -> Any:
        raise NotImplementedError

    def get(self, request: Request) -> StreamingHttpResponse:
        query = s.ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        response = StreamingHttpResponse(
            self.lines(request, query.validated_data), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        return response


CSV_RESPONSE = {(200, "text/csv"): OpenApiTypes.STR}


class SightingsCsvApi(_CsvExportApi):
    filename = "birdsite-sightings.csv"

    @extend_schema(
        tags=["exports"],
        parameters=[s.ExportQuerySerializer],
        responses=CSV_RESPONSE,
        operation_id="exports_sightings_csv",
        summary="Your sightings as CSV (confirmed only unless asked)",
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        return super().get(request)

    def lines(self, request: Request, filters: dict[str, Any]) -> Any:
        return exports.sightings_csv(request.user, **filters)


class EbirdCsvApi(_CsvExportApi):
    filename = "birdsite-ebird.csv"

    @extend_schema(
        tags=["exports"],
        parameters=[s.ExportQuerySerializer],
        responses=CSV_RESPONSE,
        operation_id="exports_ebird_csv",
        summary="Your sightings in eBird Record Format, for eBird's import",
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        return super().get(request)

    def lines(self, request: Request, filters: dict[str, Any]) -> Any:
        return exports.sightings_ebird_csv(request.user, **filters)
