from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "economy.inventory"
    label = "inventory"
