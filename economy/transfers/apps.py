from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "economy.transfers"
    label = "transfers"
    verbose_name = "Transfers"

    def ready(self) -> None:
        from . import events  # noqa: F401 (declares the events' payloads)
