from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("birdsite.accounts.urls")),
    path("api/v1/", include("birdsite.api.urls")),
    path("", include("birdsite.sightings.urls")),
    path("batches/", include("birdsite.batches.urls")),
    path("staff/review/", include("birdsite.review.urls")),
    path("staff/models/", include("birdsite.registry.urls")),
    path("", include("birdsite.ops.urls")),
    path("", include("birdsite.classification.urls")),
]

handler400 = "birdsite.hardening.bad_request"  # the API answers its JSON error shape
