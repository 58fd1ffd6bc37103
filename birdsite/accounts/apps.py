from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "birdsite.accounts"
    label = "accounts"
