from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "birdsite.review"
    label = "review"
    verbose_name = "Review"
