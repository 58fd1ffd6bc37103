"""Thin API views: check the request's shape, call a service or selector, shape the answer.

Ownership is never checked here object by object: every lookup goes through a selector scoped
to ``request.user``, so someone else's object is simply not found (404).
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from birdsite.api import selectors as token_selectors
from birdsite.api import serializers as s
from birdsite.api import services as token_services
from birdsite.api.exceptions import ApiError
from birdsite.api.pagination import PageNumberPagination
from birdsite.api.throttling import UPLOAD_THROTTLES, TokenIpThrottle
from birdsite.classification import services as classification_services
from birdsite.photos import selectors as photo_selectors
from birdsite.photos import services as photo_services
from birdsite.sightings import catalog
from birdsite.sightings import reviews as sighting_reviews
from birdsite.sightings import selectors as sighting_selectors
from birdsite.sightings import services as sighting_services

# Waiting requests each hold a thread (and a DB connection); past this many, answer at once.
_wait_slots: threading.BoundedSemaphore | None = None
_wait_slots_lock = threading.Lock()


def _slots() -> threading.BoundedSemaphore:
    global _wait_slots
    with _wait_slots_lock:
        if _wait_slots is None:
            _wait_slots = threading.BoundedSemaphore(settings.API_WAIT_MAX_CONCURRENT)
        return _wait_slots


class ListApi(APIView):
    """A paginated list answered with ``serializer_class``."""

    serializer_class: type[s.serializers.Serializer]
    pagination_class = PageNumberPagination

    def paginated(self, request: Request, queryset: QuerySet[Any]) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        data = self.serializer_class(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


# --- Tokens --------------------------------------------------------------------------------------


class TokenObtainApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenIpThrottle]

    @extend_schema(
        tags=["auth"],
        request=s.TokenRequestSerializer,
        responses={201: s.TokenCreatedSerializer},
        auth=[],
        summary="Make a new named token with a username and password",
    )
    def post(self, request: Request) -> Response:
        form = s.TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=form.validated_data["username"],
            password=form.validated_data["password"],
        )
        if user is None:
            raise ApiError(code="invalid_credentials", message="Wrong username or password.")
        token, raw = token_services.token_create(user=user, name=form.validated_data["name"])
        body = {"token": raw, "id": token.pk, "name": token.name, "created_at": token.created_at}
        return Response(s.TokenCreatedSerializer(body).data, status=status.HTTP_201_CREATED)


class TokenListApi(ListApi):
    serializer_class = s.ApiTokenSerializer

    @extend_schema(
        tags=["auth"],
        operation_id="auth_tokens_list",
        responses=s.ApiTokenSerializer(many=True),
        summary="Your tokens",
    )
    def get(self, request: Request) -> Response:
        return self.paginated(request, token_selectors.tokens_for(user=request.user))


class TokenDetailApi(APIView):
    @extend_schema(tags=["auth"], responses={204: None}, summary="Revoke one of your tokens")
    def delete(self, request: Request, pk: int) -> Response:
        token = get_object_or_404(token_selectors.tokens_for(user=request.user), pk=pk)
        token_services.token_revoke(token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Classifications -----------------------------------------------------------------------------


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
        if wait and not job.is_finished and _slots().acquire(blocking=False):
            try:
                job = photo_selectors.job_wait(job=job, timeout=wait)
            finally:
                _slots().release()
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


# --- Sightings -----------------------------------------------------------------------------------


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


# --- Species catalog -----------------------------------------------------------------------------


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
        found = catalog.species_search(query.validated_data["q"], limit=query.validated_data["limit"])
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


class UnknownPathApi(APIView):
    """Any other path under the API: a JSON 404, not the site's HTML page."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    schema = None

    def _not_found(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise exceptions.NotFound("Not found.")

    get = post = put = patch = delete = _not_found
