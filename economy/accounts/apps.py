from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "economy.accounts"
    label = "accounts"
