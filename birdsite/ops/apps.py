from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "birdsite.ops"
    label = "ops"
    verbose_name = "Operations"
