from django.apps import AppConfig


class BatchesConfig(AppConfig):
    name = "birdsite.batches"
    label = "batches"
