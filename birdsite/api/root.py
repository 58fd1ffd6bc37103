"""``GET /api/v1/``: where everything is, so a client (or a person) can start from one URL."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

# (name, URL name, what it is): the resources a user's token reaches; staff ones are listed to staff.
RESOURCES = [
    ("token", "api:token-obtain", "POST username and password: a token for `Authorization: Bearer <token>`"),
    ("tokens", "api:token-list", "Your tokens (names, last use); revoke one with DELETE"),
    ("classifications", "api:classification-list", "POST a photo to identify; GET your results"),
    ("sightings", "api:sighting-list", "What you saw: rename, confirm, annotate, delete"),
    ("species", "api:species-search", "Search the species catalog (?q=)"),
    ("batches", "api:batch-list", "Many photos or one ZIP at once, with progress"),
    ("lifelist", "api:lifelist", "Each confirmed species once, with its first sighting"),
    ("export_csv", "api:export-csv", "Your sightings as CSV"),
    ("export_ebird", "api:export-ebird", "Your sightings in eBird Record Format"),
]
STAFF_RESOURCES = [
    ("review_queue", "api:staff-review-queue", "Staff: classifications to review"),
    ("review_dashboard", "api:staff-review-dashboard", "Staff: reviewer agreement per model and species"),
    ("models", "api:staff-model-list", "Staff: the model registry"),
]


class ApiRootApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The API's resources, its docs and its schema",
        responses=inline_serializer(
            "ApiRoot",
            {
                "name": serializers.CharField(),
                "version": serializers.CharField(),
                "docs": serializers.URLField(),
                "schema": serializers.URLField(),
                "authentication": serializers.CharField(),
                "resources": serializers.DictField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        listed = RESOURCES + (STAFF_RESOURCES if request.user.is_staff else [])
        resources: dict[str, Any] = {
            name: {"url": reverse(url_name, request=request), "description": text}
            for name, url_name, text in listed
        }
        return Response(
            {
                "name": "birdsite API",
                "version": "v1",
                "docs": reverse("api:docs", request=request),
                "schema": reverse("api:schema", request=request),
                "authentication": "Authorization: Bearer <token> (or Token <token>), or the site's session",
                "resources": resources,
            }
        )
