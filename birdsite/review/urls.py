from django.urls import path

from birdsite.review import views

app_name = "review"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("jobs/<int:pk>/decide/", views.decide, name="decide"),
    path("jobs/<int:pk>/image", views.image, name="image"),
    path("jobs/<int:pk>/history/", views.decision_history, name="history"),
    path("species.json", views.species_search, name="species-search"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
