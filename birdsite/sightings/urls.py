from django.urls import path

from birdsite.sightings import views

app_name = "sightings"
urlpatterns = [
    path("sightings/", views.sighting_list, name="list"),
    path("sightings/<int:pk>/", views.sighting_detail, name="detail"),
    path("sightings/<int:pk>/delete/", views.sighting_delete, name="delete"),
    path("species/search.json", views.species_search, name="species-search"),
    path("species/<str:key>/", views.species_detail, name="species"),
]
