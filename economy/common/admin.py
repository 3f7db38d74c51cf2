from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest, HttpResponse

from . import replicas
from .models import IdempotencyRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    """An admin that shows and never writes: rows change through services only. Its list is
    read from a replica when there is one (economy/common/replicas.py)."""

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method != "GET":  # an action: it writes, on the primary
            return super().changelist_view(request, extra_context)
        with replicas.reads_for(request.user.pk):
            # Rendered here, while the replica is chosen: the list is read as it renders.
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):
                response.render()
            return response

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    """Read-only: support can see which keys a client used and what they answered."""

    list_display = ("key", "route", "actor", "status_code", "created_at")
    list_filter = ("status_code",)
    date_hierarchy = "created_at"
    search_fields = ("=key", "actor__username", "route")
    list_select_related = ("actor",)
    exclude = ("response_body",)
    readonly_fields = ("actor", "route", "key", "fingerprint", "status_code", "created_at")
    show_full_result_count = False
