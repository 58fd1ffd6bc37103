from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "birdsite.photos"
    label = "photos"
