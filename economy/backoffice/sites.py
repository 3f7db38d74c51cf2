from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

# The economy first, in the order staff work through it; Django's and Celery's own models last.
APP_ORDER = [
    "accounts",
    "catalog",
    "ledger",
    "inventory",
    "transfers",
    "events",
    "webhooks",
    "common",
    "authtoken",
    "auth",
    "django_celery_beat",
]


class EconomyAdminSite(admin.AdminSite):
    site_header = "Virtual economy back office"
    site_title = "Virtual economy"
    index_title = "Back office"

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        apps = super().get_app_list(request, app_label)
        position = {label: index for index, label in enumerate(APP_ORDER)}
        return sorted(apps, key=lambda app: position.get(app["app_label"], len(APP_ORDER)))


class EconomyAdminConfig(AdminConfig):
    """Django's admin app, with the site above as the default `admin.site`."""

    default_site = "economy.backoffice.sites.EconomyAdminSite"
