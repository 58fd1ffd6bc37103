from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "birdsite.api"
    label = "api"
    verbose_name = "REST API"
