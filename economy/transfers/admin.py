from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from economy.common.admin import ReadOnlyAdmin

from .models import Transfer


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    """Read-only for everyone: transfers are append-only, written by the transfer services."""

    list_display = (
        "id",
        "created_at",
        "from_user",
        "to_user",
        "what",
        "created_by",
        "transaction",
    )
    list_filter = ("currency", ("product", admin.EmptyFieldListFilter))
    date_hierarchy = "created_at"
    search_fields = (
        "from_user__username",
        "from_user__email",
        "to_user__username",
        "to_user__email",
        "product__name",
        "=idempotency_key",
    )
    list_select_related = ("from_user", "to_user", "currency", "product", "created_by")
    # A COUNT(*) over every transfer on each page is what makes big admins slow.
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Transfer]:
        return super().get_queryset(request).select_related(*self.list_select_related)

    def get_readonly_fields(self, request: HttpRequest, obj: Transfer | None = None) -> list[str]:
        return [field.name for field in self.opts.fields]

    @admin.display(description="what")
    def what(self, transfer: Transfer) -> str:
        if transfer.currency is not None:
            return f"{transfer.amount} {transfer.currency.code}"
        return f"{transfer.quantity} x {transfer.product}"
