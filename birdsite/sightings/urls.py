from django.urls import path

from birdsite.sightings import lifelist_views, views

app_name = "sightings"
urlpatterns = [
    path("sightings/", views.sighting_list, name="list"),
    path("sightings/<int:pk>/", views.sighting_detail, name="detail"),
    path("sightings/new/<int:job_pk>/", views.photo_name, name="name"),
    path("sightings/<int:pk>/suggestion/", views.sighting_suggestion, name="suggestion"),
    path("sightings/<int:pk>/delete/", views.sighting_delete, name="delete"),
    path("sightings/<int:pk>/place/", views.sighting_place, name="place"),
    path("sightings/export.csv", lifelist_views.export_csv, name="export-csv"),
    path("sightings/ebird.csv", lifelist_views.export_ebird, name="export-ebird"),
    path("lifelist/", lifelist_views.lifelist, name="lifelist"),
    path("lifelist/<int:year>/", lifelist_views.lifelist, name="lifelist-year"),
    path("species/search.json", views.species_search, name="species-search"),
    path("places/search.json", views.place_search, name="place-search"),
    path("species/<str:key>/", views.species_detail, name="species"),
]
