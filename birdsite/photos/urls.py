from django.urls import path

from birdsite.photos import views

app_name = "photos"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/status.json", views.job_status, name="job-status"),
    path("photos/<int:pk>/image", views.image, name="image"),
    path("photos/<int:pk>/thumbnail", views.thumbnail, name="thumbnail"),
]
