from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from birdsite.api import base, batches, classifications, root, sightings, species, staff, tokens

app_name = "api"
urlpatterns = [
    path("", root.ApiRootApi.as_view(), name="root"),
    path("auth/token/", tokens.TokenObtainApi.as_view(), name="token-obtain"),
    path("auth/tokens/", tokens.TokenListApi.as_view(), name="token-list"),
    path("auth/tokens/<int:pk>/", tokens.TokenDetailApi.as_view(), name="token-detail"),
    path("classifications/", classifications.ClassificationListApi.as_view(), name="classification-list"),
    path(
        "classifications/<int:pk>/",
        classifications.ClassificationDetailApi.as_view(),
        name="classification-detail",
    ),
    path(
        "classifications/<int:pk>/region/",
        classifications.ClassificationRegionApi.as_view(),
        name="classification-region",
    ),
    path("sightings/", sightings.SightingListApi.as_view(), name="sighting-list"),
    path("sightings/<int:pk>/", sightings.SightingDetailApi.as_view(), name="sighting-detail"),
    path(
        "sightings/<int:pk>/suggestion/",
        sightings.SightingSuggestionApi.as_view(),
        name="sighting-suggestion",
    ),
    path("species/", species.SpeciesSearchApi.as_view(), name="species-search"),
    path("species/<str:key>/", species.SpeciesDetailApi.as_view(), name="species-detail"),
    path("batches/", batches.BatchListApi.as_view(), name="batch-list"),
    path("batches/<int:pk>/", batches.BatchDetailApi.as_view(), name="batch-detail"),
    path("batches/<int:pk>/cancel/", batches.BatchCancelApi.as_view(), name="batch-cancel"),
    path("lifelist/", sightings.LifeListApi.as_view(), name="lifelist"),
    path("exports/sightings.csv", sightings.SightingsCsvApi.as_view(), name="export-csv"),
    path("exports/ebird.csv", sightings.EbirdCsvApi.as_view(), name="export-ebird"),
    path("staff/review/", staff.ReviewQueueApi.as_view(), name="staff-review-queue"),
    path("staff/review/dashboard/", staff.ReviewDashboardApi.as_view(), name="staff-review-dashboard"),
    path("staff/review/<int:job_id>/", staff.ReviewDecideApi.as_view(), name="staff-review-decide"),
    path("staff/models/", staff.ModelListApi.as_view(), name="staff-model-list"),
    path("staff/models/retrain/", staff.ModelRetrainApi.as_view(), name="staff-model-retrain"),
    path("staff/models/rollback/", staff.ModelRollbackApi.as_view(), name="staff-model-rollback"),
    path("staff/models/new-species/", staff.NewSpeciesApi.as_view(), name="staff-model-new-species"),
    path("staff/models/<int:pk>/", staff.ModelDetailApi.as_view(), name="staff-model-detail"),
    path("staff/models/<int:pk>/promote/", staff.ModelPromoteApi.as_view(), name="staff-model-promote"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script, so the CSP holds.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^", base.UnknownPathApi.as_view(), name="unknown"),
]
