from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "birdsite.registry"
    label = "registry"
    verbose_name = "Model registry"
