"""The upload and job pages keep the ``photos:`` names people's bookmarks and the templates know."""

from django.urls import path

from birdsite.classification import views
from birdsite.photos import views as photo_views

app_name = "photos"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/status.json", views.job_status, name="job-status"),
    path("jobs/<int:pk>/region", views.job_region, name="job-region"),
    path("photos/<int:pk>/image", photo_views.image, name="image"),
    path("photos/<int:pk>/thumbnail", photo_views.thumbnail, name="thumbnail"),
    path("photos/<int:pk>/delete", photo_views.delete, name="photo-delete"),
]
