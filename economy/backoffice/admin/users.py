from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from economy.accounts.models import User
from economy.accounts.permissions import ADD_FUNDS_PERMISSION
from economy.catalog.models import Currency
from economy.common.exceptions import DomainError
from economy.inventory.models import InventoryItem
from economy.ledger import services as ledger
from economy.ledger.models import Hold, HoldStatus, Transaction, Wallet

LATEST_TRANSACTIONS = 20


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False


class WalletInline(ReadOnlyInline):
    model = Wallet
    fk_name = "owner"
    fields = readonly_fields = ("currency", "balance", "held", "available", "created_at")
    verbose_name_plural = "wallets"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Wallet]:
        return super().get_queryset(request).select_related("currency")

    @admin.display(description="available")
    def available(self, wallet: Wallet) -> int:
        return wallet.available


class InventoryInline(ReadOnlyInline):
    model = InventoryItem
    fields = readonly_fields = ("product", "quantity", "purchased_at", "updated_at")
    verbose_name_plural = "inventory"

    def get_queryset(self, request: HttpRequest) -> QuerySet[InventoryItem]:
        return super().get_queryset(request).select_related("product")


class OpenHoldsInline(ReadOnlyInline):
    model = Hold
    fk_name = "user"
    fields = readonly_fields = (
        "amount",
        "currency",
        "destination",
        "expires_at",
        "on_expiry",
        "reference",
        "created_at",
    )
    show_change_link = True
    verbose_name_plural = "open holds"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Hold]:
        return (
            super()
            .get_queryset(request)
            .filter(status=HoldStatus.PENDING)
            .select_related("wallet__currency", "destination__currency")
        )

    @admin.display(description="currency")
    def currency(self, hold: Hold) -> str:
        return hold.wallet.currency.code


class LatestTransactionsFormSet(BaseInlineFormSet):
    def get_queryset(self) -> QuerySet[Transaction]:
        # Sliced here, after the formset filtered by user: a busy player has thousands of rows.
        return super().get_queryset()[:LATEST_TRANSACTIONS]


class LatestTransactionsInline(ReadOnlyInline):
    model = Transaction
    fk_name = "user"
    formset = LatestTransactionsFormSet
    fields = readonly_fields = (
        "created_at",
        "kind",
        "status",
        "amount",
        "currency",
        "debit_wallet",
        "credit_wallet",
        "product",
        "quantity",
        "unit_price",
        "reason",
        "failure_reason",
    )
    show_change_link = True
    verbose_name_plural = f"latest {LATEST_TRANSACTIONS} transactions"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Transaction]:
        return (
            super()
            .get_queryset(request)
            .select_related("product", "currency", "debit_wallet", "credit_wallet")
        )


class GrantFundsForm(forms.Form):
    currency = forms.ModelChoiceField(
        queryset=Currency.objects.filter(is_active=True), empty_label=None, to_field_name="code"
    )
    amount = forms.IntegerField(
        help_text="Whole units, at most ECONOMY_MAX_DEPOSIT either way: a positive amount is "
        "granted (faucet:grants), a negative one taken back (sink:corrections).",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why: kept in the ledger with your name.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read when the form is built, so a changed setting (and tests) apply at once.
        limit = settings.ECONOMY_MAX_DEPOSIT
        self.fields["amount"].validators += [MinValueValidator(-limit), MaxValueValidator(limit)]
        self.fields["amount"].widget.attrs.update(min=-limit, max=limit)
        self.initial.setdefault("currency", Currency.objects.filter(is_default=True).first())

    def clean_amount(self) -> int:
        amount: int = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("The amount must not be 0.")
        return amount


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin with the player's wallets, inventory and latest ledger rows.
    Balances are read-only: they change only through the ledger (`Grant funds`)."""

    list_display = ("username", "email", "is_staff", "is_active", "date_joined")
    readonly_fields = ("created_at", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Economy", {"fields": ("created_at",)}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    inlines = (WalletInline, OpenHoldsInline, InventoryInline, LatestTransactionsInline)

    def get_inlines(
        self, request: HttpRequest, obj: User | None
    ) -> list[type[InlineModelAdmin]] | tuple[type[InlineModelAdmin], ...]:
        return self.inlines if obj is not None else ()

    def get_urls(self) -> list[URLPattern]:
        grant = path(
            "<path:object_id>/grant-funds/",
            self.admin_site.admin_view(self.grant_funds_view),
            name="accounts_user_grant_funds",
        )
        return [grant, *super().get_urls()]

    def has_grant_funds_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ADD_FUNDS_PERMISSION)

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        context["can_grant_funds"] = self.has_grant_funds_permission(request)
        return super().render_change_form(request, context, *args, **kwargs)

    def grant_funds_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Correct a balance by hand through ledger.adjust_balance: an `adjustment` row with the
        reason and the staff member, never a direct edit of the balance."""
        if not (self.has_view_permission(request) and self.has_grant_funds_permission(request)):
            raise PermissionDenied
        user = self.get_object(request, object_id)
        if user is None:
            raise Http404("No such user.")
        form = GrantFundsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                change = ledger.adjust_balance(
                    user_id=user.pk,
                    amount=form.cleaned_data["amount"],
                    currency=form.cleaned_data["currency"],
                    reason=form.cleaned_data["reason"],
                    staff=cast(User, request.user),  # the admin lets staff in only
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    f"Adjusted {user}'s {change.wallet.currency.code} by "
                    f"{form.cleaned_data['amount']:+d}: balance is now {change.wallet.balance} "
                    f"(transaction #{change.transaction.pk}).",
                    messages.SUCCESS,
                )
                change_url = reverse("admin:accounts_user_change", args=[user.pk])
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Grant funds to {user}",
            "subject": user,
            "wallets": Wallet.objects.filter(owner=user).select_related("currency"),
            "form": form,
            "opts": self.opts,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/accounts/user/grant_funds.html", context)
