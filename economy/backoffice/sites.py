from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path, reverse

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
        apps = sorted(apps, key=lambda app: position.get(app["app_label"], len(APP_ORDER)))
        if app_label is None and self.dashboard_views().can_view_dashboard(request.user):
            apps.insert(0, self.dashboard_entry())
        return apps

    def get_urls(self) -> list[URLResolver | URLPattern]:
        dashboard = path(
            "economy/dashboard/",
            self.admin_view(self.economy_dashboard),
            name="economy_dashboard",
        )
        return [dashboard, *super().get_urls()]

    def economy_dashboard(self, request: HttpRequest) -> HttpResponse:
        return self.dashboard_views().economy_dashboard(request, self)

    @staticmethod
    def dashboard_views() -> Any:
        # Imported when first used: this module loads with the app registry, before models.
        from . import views

        return views

    def dashboard_entry(self) -> dict[str, Any]:
        """The dashboard as the index and the sidebar list it: an "Economy" app of one page."""
        url = reverse("admin:economy_dashboard", current_app=self.name)
        return {
            "name": "Economy",
            "app_label": "economy",
            "app_url": url,
            "has_module_perms": True,
            "models": [
                {
                    "name": "Dashboard",
                    "object_name": "Dashboard",
                    "admin_url": url,
                    "view_only": True,
                    "perms": {"view": True},
                }
            ],
        }


class EconomyAdminConfig(AdminConfig):
    """Django's admin app, with the site above as the default `admin.site`."""

    default_site = "economy.backoffice.sites.EconomyAdminSite"
