from django.urls import path

from birdsite.ops import views

app_name = "ops"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("staff/system/", views.system, name="system"),
    path("staff/system/storage/", views.storage, name="storage"),
]
