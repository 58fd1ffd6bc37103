from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from birdsite.api import apis, apis_records, root, staff

app_name = "api"
urlpatterns = [
    path("", root.ApiRootApi.as_view(), name="root"),
    path("auth/token/", apis.TokenObtainApi.as_view(), name="token-obtain"),
    path("auth/tokens/", apis.TokenListApi.as_view(), name="token-list"),
    path("auth/tokens/<int:pk>/", apis.TokenDetailApi.as_view(), name="token-detail"),
    path("classifications/", apis.ClassificationListApi.as_view(), name="classification-list"),
    path("classifications/<int:pk>/", apis.ClassificationDetailApi.as_view(), name="classification-detail"),
    path(
        "classifications/<int:pk>/region/",
        apis.ClassificationRegionApi.as_view(),
        name="classification-region",
    ),
    path("sightings/", apis.SightingListApi.as_view(), name="sighting-list"),
    path("sightings/<int:pk>/", apis.SightingDetailApi.as_view(), name="sighting-detail"),
    path("sightings/<int:pk>/suggestion/", apis.SightingSuggestionApi.as_view(), name="sighting-suggestion"),
    path("species/", apis.SpeciesSearchApi.as_view(), name="species-search"),
    path("species/<str:key>/", apis.SpeciesDetailApi.as_view(), name="species-detail"),
    path("batches/", apis_records.BatchListApi.as_view(), name="batch-list"),
    path("batches/<int:pk>/", apis_records.BatchDetailApi.as_view(), name="batch-detail"),
    path("batches/<int:pk>/cancel/", apis_records.BatchCancelApi.as_view(), name="batch-cancel"),
    path("lifelist/", apis_records.LifeListApi.as_view(), name="lifelist"),
    path("exports/sightings.csv", apis_records.SightingsCsvApi.as_view(), name="export-csv"),
    path("exports/ebird.csv", apis_records.EbirdCsvApi.as_view(), name="export-ebird"),
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
    re_path(r"^", apis.UnknownPathApi.as_view(), name="unknown"),
]
