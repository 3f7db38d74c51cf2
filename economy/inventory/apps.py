from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "economy.inventory"
    label = "inventory"

    def ready(self) -> None:
        from . import events  # noqa: F401 (declares the events' payloads)
