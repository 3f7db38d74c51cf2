from django.contrib import admin

from economy.common.admin import ReadOnlyAdmin

from .models import InventoryItem


@admin.register(InventoryItem)
class InventoryItemAdmin(ReadOnlyAdmin):
    """Read-only: inventories change through purchases, uses and refunds only."""

    list_display = readonly_fields = (
        "user",
        "product",
        "quantity",
        "expires_at",
        "active_until",
        "purchased_at",
        "updated_at",
    )
    list_filter = ("product__type",)
    search_fields = ("user__username", "user__email", "product__name")
    list_select_related = ("user", "product")
    show_full_result_count = False
