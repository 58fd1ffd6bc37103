from django.apps import AppConfig


class SightingsConfig(AppConfig):
    name = "birdsite.sightings"
    label = "sightings"
