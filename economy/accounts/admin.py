from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from knox.models import AuthToken

from .models import ApiToken, ExternalIdentity

# knox's own page lists digests and lets an admin mint a token; ApiTokenAdmin replaces it.
admin.site.unregister(AuthToken)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Support sees every API token (not its key, which is never stored) and revokes one by
    deleting it: the next request with it is refused. Tokens are issued by the API and by
    `create_service_account`, never here."""

    list_display = ("token_key", "user", "created", "expiry")
    list_filter = (("expiry", admin.EmptyFieldListFilter),)
    search_fields = ("user__username", "=token_key")
    list_select_related = ("user",)
    fields = ("token_key", "user", "created", "expiry")
    readonly_fields = fields
    ordering = ("-created",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    """Who a player is at the studio's sign-in, Steam or a device: read only, written by the
    first sign-in."""

    list_display = ("provider", "subject", "user", "created_at")
    list_filter = ("provider",)
    search_fields = ("=subject", "user__username")
    list_select_related = ("user",)
    readonly_fields = ("provider", "subject", "user", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False
