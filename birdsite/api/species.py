"""Thin API views of the species catalog resource: search it, read one species."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from birdsite.api import species_serializers as s
from birdsite.api.exceptions import ApiError
from birdsite.sightings import catalog


class SpeciesSearchApi(APIView):
    @extend_schema(
        tags=["species"],
        parameters=[s.SpeciesQuerySerializer],
        responses=s.SpeciesSerializer(many=True),
        summary="Search the species catalog by common or scientific name",
    )
    def get(self, request: Request) -> Response:
        query = s.SpeciesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = catalog.species_search(
            query.validated_data["q"], limit=query.validated_data["limit"], user=request.user
        )
        return Response(s.SpeciesSerializer(found, many=True).data)


class SpeciesDetailApi(APIView):
    @extend_schema(
        tags=["species"],
        parameters=[
            OpenApiParameter(
                "key",
                str,
                OpenApiParameter.PATH,
                description="The catalog key (an eBird code where there is one).",
                examples=[OpenApiExample("American Goldfinch", value="amegfi")],
            )
        ],
        responses=s.SpeciesSerializer,
        summary="One species of the catalog",
    )
    def get(self, request: Request, key: str) -> Response:
        species = catalog.species_get(key)
        if species is None:
            raise ApiError(code="not_found", message="Not found.", status_code=status.HTTP_404_NOT_FOUND)
        return Response(s.SpeciesSerializer(species).data)
