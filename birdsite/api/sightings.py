"""Thin API views of the sighting resource: sightings, answering a reviewer's suggestion, the life list
and the CSV / eBird exports."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from birdsite.api import sighting_serializers as s
from birdsite.api.base import ListApi
from birdsite.api.exceptions import ApiError
from birdsite.sightings import exports, lifelist
from birdsite.sightings import reviews as sighting_reviews
from birdsite.sightings import selectors as sighting_selectors
from birdsite.sightings import services as sighting_services


class SightingListApi(ListApi):
    serializer_class = s.SightingSerializer

    @extend_schema(
        tags=["sightings"],
        operation_id="sightings_list",
        parameters=[s.SightingFilterSerializer],
        responses=s.SightingSerializer(many=True),
        summary="Your sightings, latest first",
    )
    def get(self, request: Request) -> Response:
        query = s.SightingFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        sightings = sighting_selectors.sightings_for(
            user=request.user,
            species_key=filters.get("species"),
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
            status=filters.get("status", ""),
        )
        return self.paginated(request, sightings)


class SightingDetailApi(APIView):
    def _sighting(self, request: Request, pk: int) -> Any:
        return get_object_or_404(sighting_selectors.sightings_for(user=request.user), pk=pk)

    @extend_schema(tags=["sightings"], responses=s.SightingSerializer, summary="One sighting")
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.SightingSerializer(self._sighting(request, pk)).data)

    @extend_schema(
        tags=["sightings"],
        request=s.SightingUpdateSerializer,
        responses=s.SightingSerializer,
        summary="Rename (a catalog key), annotate, confirm, or correct when and where",
    )
    def patch(self, request: Request, pk: int) -> Response:
        sighting = self._sighting(request, pk)
        form = s.SightingUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        place = {key: data.pop(key) for key in s.SightingUpdateSerializer.PLACE_FIELDS if key in data}
        try:
            with transaction.atomic():
                if data or not place:
                    sighting = sighting_services.sighting_update(sighting=sighting, **data)
                if place:
                    # A partial update: a coordinate not sent keeps its value (the service sets both).
                    place.setdefault("latitude", sighting.latitude)
                    place.setdefault("longitude", sighting.longitude)
                    sighting = sighting_services.sighting_set_place(sighting=sighting, **place)
        except sighting_services.UnknownSpecies as exc:
            raise ApiError(code="unknown_species", message=str(exc)) from exc
        except ValueError as exc:
            raise ApiError(code="invalid_place", message=str(exc)) from exc
        except DjangoValidationError as exc:
            raise ApiError(
                code="invalid", message="The sighting is not valid.", details=exc.messages
            ) from exc
        return Response(s.SightingSerializer(sighting).data)

    @extend_schema(
        tags=["sightings"], responses={204: None}, summary="Delete a sighting with its photo and results"
    )
    def delete(self, request: Request, pk: int) -> Response:
        sighting_services.sighting_delete(sighting=self._sighting(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SightingSuggestionApi(APIView):
    @extend_schema(
        tags=["sightings"],
        request=s.SuggestionAnswerSerializer,
        responses=s.SightingSerializer,
        summary="Answer a reviewer's suggestion: accept (rename to it, confirmed) or keep your own name",
    )
    def post(self, request: Request, pk: int) -> Response:
        sighting = get_object_or_404(sighting_selectors.sightings_for(user=request.user), pk=pk)
        form = s.SuggestionAnswerSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        if not sighting.suggested_key:
            raise ApiError(code="no_suggestion", message="No reviewer's suggestion waits on this sighting.")
        if form.validated_data["answer"] == "accept":
            sighting = sighting_reviews.suggestion_accept(sighting=sighting)
        else:
            sighting = sighting_reviews.suggestion_keep(sighting=sighting)
        return Response(s.SightingSerializer(sighting).data)


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
