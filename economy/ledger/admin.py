from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from economy.common.admin import ReadOnlyAdmin

from .models import Wallet


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdmin):
    """Read-only: a balance changes only through the ledger. System wallets show no stored
    balance: theirs is derived from the ledger (reconcile_ledger prints it)."""

    list_display = ("id", "label", "currency", "balance", "held", "available", "created_at")
    list_filter = ("currency", ("owner", admin.EmptyFieldListFilter))
    search_fields = ("=name", "owner__username", "owner__email")
    list_select_related = ("currency", "owner")
    readonly_fields = ("owner", "name", "currency", "balance", "held", "available", "created_at")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Wallet]:
        return super().get_queryset(request).select_related("currency", "owner")

    @admin.display(description="wallet")
    def label(self, wallet: Wallet) -> str:
        return wallet.name or str(wallet.owner)

    @admin.display(description="available")
    def available(self, wallet: Wallet) -> int:
        return wallet.available
