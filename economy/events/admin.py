from django.contrib import admin
from django.http import HttpRequest

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """What happened, read only: events are written by the change they describe."""

    list_display = ["id", "type", "user", "created_at"]
    list_filter = ["type"]
    search_fields = ["=user__username", "=id"]
    raw_id_fields = ["user"]
    readonly_fields = ["type", "user", "payload", "created_at"]
    list_select_related = ["user"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
