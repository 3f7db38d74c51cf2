from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "economy.common"
    label = "common"
