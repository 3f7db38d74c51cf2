from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "economy.transfers"
    label = "transfers"
    verbose_name = "Transfers"
