from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "economy.catalog"
    label = "catalog"
