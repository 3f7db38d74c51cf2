from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from economy.accounts.models import User
from economy.accounts.permissions import ADD_FUNDS_PERMISSION
from economy.common.exceptions import DomainError
from economy.inventory.models import InventoryItem
from economy.ledger import services as ledger
from economy.ledger.models import Transaction

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


class InventoryInline(ReadOnlyInline):
    model = InventoryItem
    fields = readonly_fields = ("product", "quantity", "purchased_at", "updated_at")
    verbose_name_plural = "inventory"

    def get_queryset(self, request: HttpRequest) -> QuerySet[InventoryItem]:
        return super().get_queryset(request).select_related("product")


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
        "product",
        "quantity",
        "unit_price",
        "reason",
        "failure_reason",
    )
    show_change_link = True
    verbose_name_plural = f"latest {LATEST_TRANSACTIONS} transactions"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Transaction]:
        return super().get_queryset(request).select_related("product")


class GrantFundsForm(forms.Form):
    amount = forms.IntegerField(
        min_value=1,
        help_text="Whole units of virtual currency, at most ECONOMY_MAX_DEPOSIT.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why: kept in the ledger with your name.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read when the form is built, so a changed setting (and tests) apply at once.
        limit = settings.ECONOMY_MAX_DEPOSIT
        self.fields["amount"].validators.append(MaxValueValidator(limit))
        self.fields["amount"].widget.attrs["max"] = limit


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin; the balance is read-only and changes only through `grant funds`."""

    list_display = ("username", "email", "balance", "is_staff", "is_active", "date_joined")
    readonly_fields = ("balance", "created_at", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Economy", {"fields": ("balance", "created_at")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    inlines = (InventoryInline, LatestTransactionsInline)

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
        """Credit a balance by hand through ledger.grant_funds: an `adjustment` row with the
        reason and the staff member, never a direct edit of the balance."""
        if not (self.has_view_permission(request) and self.has_grant_funds_permission(request)):
            raise PermissionDenied
        user = self.get_object(request, object_id)
        if user is None:
            raise Http404("No such user.")
        form = GrantFundsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                change = ledger.grant_funds(
                    user_id=user.pk,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    staff=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    f"Granted {change.transaction.amount} to {user}: balance is now "
                    f"{change.balance} (transaction #{change.transaction.pk}).",
                    messages.SUCCESS,
                )
                change_url = reverse("admin:accounts_user_change", args=[user.pk])
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Grant funds to {user}",
            "subject": user,
            "form": form,
            "opts": self.opts,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/accounts/user/grant_funds.html", context)
