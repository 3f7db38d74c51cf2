from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from economy.accounts.models import User
from economy.accounts.permissions import ADD_FUNDS_PERMISSION
from economy.catalog.models import Currency
from economy.common.exceptions import DomainError
from economy.ledger import services as ledger
from economy.ledger.models import Wallet

from .. import desk
from .holds import VOID_PERMISSION
from .links import transaction_link
from .transactions import REFUND_PERMISSION, PlayerFilter


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


def desk_context(request: HttpRequest, player: User) -> dict[str, Any]:
    """What the player's page leads with, and which of its links the staff member may follow."""
    user = request.user
    ledger_url = reverse("admin:ledger_transaction_changelist")
    return {
        "desk": desk.player_desk(user_id=player.pk),
        "ledger_url": f"{ledger_url}?{PlayerFilter.parameter_name}={player.pk}",
        "can_view_ledger": user.has_perm("ledger.view_transaction"),
        "can_view_holds": user.has_perm("ledger.view_hold"),
        "can_refund": user.has_perm(REFUND_PERMISSION),
        "can_void": user.has_perm(VOID_PERMISSION),
    }


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """The support desk: a player's page leads with its wallets, inventory, open holds and
    latest ledger rows (economy/backoffice/desk.py), read-only; balances change only through
    the ledger (`Grant funds`). The password, groups and permissions come last, folded, and
    only for those who may change users: the password form answers 403 to anyone else."""

    list_display = ("username", "email", "is_staff", "is_active", "date_joined")
    search_fields = ("username", "email", "first_name", "last_name")
    readonly_fields = ("created_at", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "email", "first_name", "last_name")}),
        ("Dates", {"fields": ("created_at", "date_joined", "last_login")}),
        (
            "Password and permissions",
            {
                "classes": ("collapse",),
                "fields": (
                    "password",
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
            },
        ),
    )
    viewer_fieldsets = (
        (None, {"fields": ("username", "email", "first_name", "last_name", "is_active")}),
        ("Dates", {"fields": ("created_at", "date_joined", "last_login")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        if obj is not None and not self.has_change_permission(request, obj):
            return self.viewer_fieldsets
        return super().get_fieldsets(request, obj)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[User], search_term: str
    ) -> tuple[QuerySet[User], bool]:
        """Username, email or name as Django searches them, and a player's id as typed."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term.isdigit() and len(term) < 19:
            found |= queryset.filter(pk=int(term))
        return found, duplicates

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
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: User | None = None,
    ) -> HttpResponse:
        context["can_grant_funds"] = self.has_grant_funds_permission(request)
        if obj is not None:
            context.update(desk_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def grant_funds_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Correct a balance by hand through ledger.adjust_balance: an `adjustment` row with the
        reason and the staff member, never a direct edit of the balance. Two steps: the form,
        then a page that says what will happen, whose Confirm makes it happen."""
        if not (self.has_view_permission(request) and self.has_grant_funds_permission(request)):
            raise PermissionDenied
        user = self.get_object(request, object_id)
        if user is None:
            raise Http404("No such user.")
        form = GrantFundsForm(request.POST or None)
        preview = None
        if request.method == "POST" and form.is_valid():
            amount, currency = form.cleaned_data["amount"], form.cleaned_data["currency"]
            preview = desk.grant_preview(player=user, currency=currency, amount=amount)
            if preview.refusal:
                form.add_error(None, preview.refusal)
                preview = None
            elif "confirm" in request.POST:
                try:
                    change = ledger.adjust_balance(
                        user_id=user.pk,
                        amount=amount,
                        currency=currency,
                        reason=form.cleaned_data["reason"],
                        staff=cast(User, request.user),  # the admin lets staff in only
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                    preview = None
                else:
                    self.message_user(
                        request,
                        format_html(
                            "Adjusted {}'s {} by {}: balance is now {} ({}).",
                            user,
                            currency.code,
                            f"{amount:+d}",
                            change.wallet.balance,
                            transaction_link(change.transaction),
                        ),
                        messages.SUCCESS,
                    )
                    change_url = reverse("admin:accounts_user_change", args=[user.pk])
                    return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Confirm: grant funds to {user}" if preview else f"Grant funds to {user}",
            "subject": user,
            "wallets": Wallet.objects.filter(owner=user).select_related("currency"),
            "form": form,
            "preview": preview,
            "opts": self.opts,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/accounts/user/grant_funds.html", context)
