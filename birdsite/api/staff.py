"""Thin staff-only API views: the review queue and its decisions, the agreement numbers, the model registry.

Each view checks the request's shape, calls the review or registry service/selector the staff pages use,
and shapes the answer. Signed-in users who are not staff get 403; requests without credentials 401.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from birdsite.api import staff_serializers as ss
from birdsite.api.base import ListApi
from birdsite.api.exceptions import ApiError
from birdsite.api.schema import ErrorSerializer
from birdsite.registry import selectors as registry_selectors
from birdsite.registry import services as registry_services
from birdsite.registry.models import ModelVersion
from birdsite.review import selectors as review_selectors
from birdsite.review import services as review_services
from birdsite.review import stats as review_stats

STAFF_ONLY = OpenApiResponse(ErrorSerializer, description="Staff only: you are signed in but not staff.")
CONFLICT = "409"


def _responses(ok: dict[int, Any], **errors: str) -> dict[int | str, Any]:
    """``ok`` plus a staff-only 403 and any extra documented errors (status -> description)."""
    extra = {int(code): OpenApiResponse(ErrorSerializer, description=text) for code, text in errors.items()}
    return {**ok, 403: STAFF_ONLY, **extra}


class StaffMixin:
    permission_classes = [IsAdminUser]


# --- Review --------------------------------------------------------------------------------------


class ReviewQueueApi(StaffMixin, ListApi):
    serializer_class = ss.QueueItemSerializer

    @extend_schema(
        tags=["staff"],
        operation_id="staff_review_queue",
        parameters=[ss.QueueFilterSerializer],
        responses=_responses({200: ss.QueueItemSerializer(many=True)}),
        summary="Review queue: finished classifications without a human label, least confident first",
    )
    def get(self, request: Request) -> Response:
        query = ss.QueueFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = review_selectors.QueueFilters(**query.validated_data)
        return self.paginated(request, review_selectors.review_queue(reviewer=request.user, filters=filters))


class ReviewDecideApi(StaffMixin, APIView):
    @extend_schema(
        tags=["staff"],
        operation_id="staff_review_decide",
        request=ss.DecisionRequestSerializer,
        responses=_responses({201: ss.DecisionSerializer}),
        summary="Decide on one classification: accept, correct, not a bird, unusable, or skip",
        description="Stored beside the predictions (never changed) with reviewer and time. A refused "
        "decision is 400 with code `review_rejected`.",
    )
    def post(self, request: Request, job_id: int) -> Response:
        job = review_selectors.job_for_review(job_id=job_id)
        if job is None:
            raise ApiError(code="not_found", message="Not found.", status_code=status.HTTP_404_NOT_FOUND)
        form = ss.DecisionRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            decision = review_services.review_decide(job=job, reviewer=request.user, **form.validated_data)
        except review_services.ReviewRejected as exc:
            raise ApiError(code="review_rejected", message=str(exc)) from exc
        decision = review_selectors.decisions_of(job=job).get(pk=decision.pk)
        return Response(ss.DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


class ReviewDashboardApi(StaffMixin, APIView):
    @extend_schema(
        tags=["staff"],
        operation_id="staff_review_dashboard",
        parameters=[ss.DashboardQuerySerializer],
        responses=_responses({200: ss.DashboardSerializer}),
        summary="Agreement of reviewers with the model, per model version and per species, and calibration",
    )
    def get(self, request: Request) -> Response:
        query = ss.DashboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = review_stats.dashboard(model_version=query.validated_data["model_version"])
        return Response(ss.DashboardSerializer(data).data)


# --- Model registry ------------------------------------------------------------------------------


class ModelListApi(StaffMixin, ListApi):
    serializer_class = ss.ModelVersionSerializer

    @extend_schema(
        tags=["staff"],
        operation_id="staff_models_list",
        responses=_responses({200: ss.ModelVersionSerializer(many=True)}),
        summary="The model registry, newest first, with status, held-out numbers and promotion checks",
    )
    def get(self, request: Request) -> Response:
        return self.paginated(request, registry_selectors.versions_list())


class NewSpeciesApi(StaffMixin, APIView):
    @extend_schema(
        tags=["staff"],
        operation_id="staff_models_new_species",
        responses=_responses({200: ss.NewSpeciesSerializer(many=True)}),
        summary="Species outside the serving model that people named, with the photos each has collected "
        "(what the next retraining could learn), most photos first",
    )
    def get(self, request: Request) -> Response:
        rows = registry_selectors.new_species_counts()
        return Response(ss.NewSpeciesSerializer(rows, many=True).data)


class ModelDetailApi(StaffMixin, APIView):
    @extend_schema(
        tags=["staff"],
        operation_id="staff_models_retrieve",
        responses=_responses({200: ss.ModelVersionDetailSerializer}),
        summary="One model version with its metrics, provenance and audit trail",
    )
    def get(self, request: Request, pk: int) -> Response:
        version = get_object_or_404(registry_selectors.versions_list(), pk=pk)
        return Response(ss.ModelVersionDetailSerializer(version).data)


class ModelRetrainApi(StaffMixin, APIView):
    @extend_schema(
        tags=["staff"],
        operation_id="staff_models_retrain",
        request=None,
        responses=_responses(
            {202: ss.ModelVersionSerializer},
            **{CONFLICT: "`retrain_busy`: a retraining is already queued or running."},
        ),
        summary="Start a retraining (training data plus reviewed corrections) in a worker; answers at once",
    )
    def post(self, request: Request) -> Response:
        try:
            row = registry_services.retraining_start(user=request.user)
        except registry_services.RegistryError as exc:
            raise ApiError(code="retrain_busy", message=str(exc), status_code=409) from exc
        row = registry_selectors.versions_list().get(pk=row.pk)
        return Response(ss.ModelVersionSerializer(row).data, status=status.HTTP_202_ACCEPTED)


def _promotion_refused(version: ModelVersion, *, force: bool, exc: Exception) -> ApiError:
    """The service's refusal with a stable code: ``not_promotable`` (already active, not a candidate),
    ``force_required`` (held-out numbers worse or not comparable), ``reason_required`` (forced, no reason)."""
    version.refresh_from_db()
    active = registry_selectors.active_version()
    statuses = (ModelVersion.Status.CANDIDATE, ModelVersion.Status.RETIRED)
    if (active is not None and active.pk == version.pk) or version.status not in statuses:
        return ApiError(code="not_promotable", message=str(exc), status_code=409)
    check = registry_selectors.promotion_check(version, active)
    if not check.allowed and not force:
        details = {"candidate": check.candidate, "reference": check.reference}
        return ApiError(code="force_required", message=str(exc), status_code=409, details=details)
    return ApiError(code="reason_required", message=str(exc), status_code=400)


class ModelPromoteApi(StaffMixin, APIView):
    @extend_schema(
        tags=["staff"],
        operation_id="staff_models_promote",
        request=ss.PromoteRequestSerializer,
        responses=_responses(
            {200: ss.ModelVersionSerializer},
            **{
                CONFLICT: "`force_required`: its held-out numbers are worse than (or not comparable "
                "with) the active model's, and `force` was not set; `not_promotable`: already active "
                "or not a candidate."
            },
        ),
        summary="Make a candidate the served model; workers switch without a restart",
        description="Refused (409 `force_required`) when its held-out numbers are worse, unless `force` "
        "with a `reason` (400 `reason_required` without one).",
    )
    def post(self, request: Request, pk: int) -> Response:
        version = get_object_or_404(registry_selectors.versions_list(), pk=pk)
        form = ss.PromoteRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        force = form.validated_data["force"]
        try:
            registry_services.model_version_promote(
                version=version, user=request.user, force=force, reason=form.validated_data["reason"]
            )
        except registry_services.RegistryError as exc:
            raise _promotion_refused(version, force=force, exc=exc) from exc
        version = registry_selectors.versions_list().get(pk=pk)
        return Response(ss.ModelVersionSerializer(version).data)


class ModelRollbackApi(StaffMixin, APIView):
    @extend_schema(
        tags=["staff"],
        operation_id="staff_models_rollback",
        request=ss.RollbackRequestSerializer,
        responses=_responses(
            {200: ss.ModelVersionSerializer},
            **{CONFLICT: "`no_rollback_target`: there is no earlier version to roll back to."},
        ),
        summary="Serve again the version that was active before the current one",
    )
    def post(self, request: Request) -> Response:
        form = ss.RollbackRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            target = registry_services.model_version_rollback(
                user=request.user, reason=form.validated_data["reason"]
            )
        except registry_services.RegistryError as exc:
            raise ApiError(code="no_rollback_target", message=str(exc), status_code=409) from exc
        target = registry_selectors.versions_list().get(pk=target.pk)
        return Response(ss.ModelVersionSerializer(target).data)
