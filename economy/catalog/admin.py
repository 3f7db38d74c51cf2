from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from . import services
from .models import Currency


@admin.register(Currency)
class CurrencyAdmin(admin.ModelAdmin):
    """Content managers run the currencies: name, initial grant, maximum, active, whether
    players may gift it and how much a day; the action *Make it the default currency* moves
    the default. A code is never changed once used, and
    no currency is ever deleted (wallets and the ledger refer to it): deactivate it instead."""

    list_display = (
        "code",
        "name",
        "initial_grant",
        "max_balance",
        "is_active",
        "is_default",
        "is_giftable",
        "daily_transfer_limit",
    )
    list_filter = ("is_active", "is_giftable")
    search_fields = ("code", "name")
    fields = (
        "code",
        "name",
        "initial_grant",
        "max_balance",
        "is_active",
        "is_default",
        "is_giftable",
        "daily_transfer_limit",
        "created_at",
    )
    actions = ("make_default",)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Currency | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ("is_default", "created_at")
        return ("code", "is_default", "created_at")

    def save_model(
        self, request: HttpRequest, obj: Currency, form: ModelForm, change: bool
    ) -> None:
        services.save_currency(currency=obj)

    def has_delete_permission(self, request: HttpRequest, obj: Currency | None = None) -> bool:
        return False

    @admin.action(description="Make it the default currency", permissions=["change"])
    def make_default(self, request: HttpRequest, queryset: QuerySet[Currency]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one currency.", messages.ERROR)
            return
        currency = services.make_default_currency(currency=queryset.get())
        self.message_user(
            request, f"{currency.code} is now the default currency.", messages.SUCCESS
        )
