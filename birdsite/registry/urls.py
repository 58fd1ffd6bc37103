from django.urls import path

from birdsite.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.version_list, name="list"),
    path("retrain/", views.retrain, name="retrain"),
    path("rollback/", views.rollback, name="rollback"),
    path("<int:pk>/", views.version_detail, name="detail"),
    path("<int:pk>/promote/", views.promote, name="promote"),
]
