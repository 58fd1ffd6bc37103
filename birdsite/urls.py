from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("birdsite.accounts.urls")),
    path("", include("birdsite.sightings.urls")),
    path("", include("birdsite.photos.urls")),
]
