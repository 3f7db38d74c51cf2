from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from economy.accounts.models import User
from economy.common.admin import ReadOnlyAdmin
from economy.common.exceptions import DomainError
from economy.inventory import services as inventory
from economy.ledger.models import Transaction

from .. import desk
from .links import player_link, transaction_link

REFUND_PERMISSION = "ledger.refund_purchase"


class RefundForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why: kept in the ledger with your name.",
    )


class PlayerFilter(admin.SimpleListFilter):
    """One player's full ledger (`?player=<id>`), as the support desk links to it: the rows it
    is the player of and those another player paid it. Offers no choices in the sidebar: it is
    reached from the player's page."""

    title = "player"
    parameter_name = "player"
    template = "admin/ledger/transaction/player_filter.html"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return []

    def has_output(self) -> bool:
        # The changelist applies only filters with output; the template shows one when set.
        return True

    def queryset(self, request: HttpRequest, queryset: QuerySet[Transaction]) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit() or len(value) > 18:
            return queryset.none()
        return queryset.filter(Q(user_id=int(value)) | Q(counterparty_id=int(value)))


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    """The ledger, read-only for everyone: rows are append-only, written by services only."""

    # Short columns, so the list fits a laptop's width with the filters beside it.
    list_display = (
        "id",
        "when",
        "user",
        "what",
        "failure",
        "amount_shown",
        "movement",
        "product_shown",
    )
    list_filter = (PlayerFilter, "kind", "status", "currency")
    date_hierarchy = "created_at"
    search_fields = ("user__username", "user__email", "product__name", "=idempotency_key")
    list_select_related = ("user", "product", "currency", "debit_wallet", "credit_wallet")
    # A COUNT(*) over the whole ledger on every page is what makes big admins slow.
    show_full_result_count = False
    actions = ("refund",)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Transaction | None = None
    ) -> list[str]:
        return [field.name for field in self.opts.fields]

    @admin.display(description="when", ordering="created_at")
    def when(self, row: Transaction) -> str:
        return row.created_at.strftime("%Y-%m-%d %H:%M")

    @admin.display(description="kind, status", ordering="kind")
    def what(self, row: Transaction) -> str:
        return f"{row.kind}, {row.status}"

    @admin.display(description="failure reason", ordering="failure_reason")
    def failure(self, row: Transaction) -> str:
        # Words rather than the code's underscores, so the column can wrap.
        return row.failure_reason.replace("_", " ")

    @admin.display(description="amount", ordering="amount")
    def amount_shown(self, row: Transaction) -> str:
        return f"{row.amount} {row.currency.code}"

    @admin.display(description="to / from")
    def movement(self, row: Transaction) -> str:
        """The other side of the movement, seen from the row's player: paid to, or from."""
        if row.debit_wallet.owner_id == row.user_id:
            return f"→ {row.credit_wallet.label}"
        return f"← {row.debit_wallet.label}"

    @admin.display(description="product")
    def product_shown(self, row: Transaction) -> str:
        if row.product is None:
            return ""
        name = row.product.name if len(row.product.name) <= 24 else f"{row.product.name[:23]}…"
        return f"{row.quantity} x {name}"

    def get_urls(self) -> list[URLPattern]:
        refund = path(
            "<path:object_id>/refund/",
            self.admin_site.admin_view(self.refund_view),
            name="ledger_transaction_refund",
        )
        return [refund, *super().get_urls()]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Transaction | None = None,
    ) -> HttpResponse:
        context["can_refund"] = (
            obj is not None
            and self.has_refund_permission(request)
            and not desk.refund_preview(obj).refusal
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def refund_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Refund one purchase through inventory.services.refund_purchase, from a page that
        says what will be credited and asks for the reason."""
        if not (self.has_view_permission(request) and self.has_refund_permission(request)):
            raise PermissionDenied
        purchase = self.get_object(request, object_id)
        if purchase is None:
            raise Http404("No such transaction.")
        preview = desk.refund_preview(purchase)
        form = RefundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                refund = inventory.refund_purchase(
                    transaction_id=purchase.pk,
                    reason=form.cleaned_data["reason"],
                    staff=cast(User, request.user),  # the admin lets staff in only
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    format_html(
                        "#{} refunded: {} unit(s), {} {} credited to {} ({}).",
                        purchase.pk,
                        refund.quantity,
                        refund.amount,
                        refund.currency.code,
                        player_link(purchase.user_id, purchase.user),
                        transaction_link(refund),
                    ),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:accounts_user_change", args=[purchase.user_id])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund purchase #{purchase.pk}",
            "opts": self.opts,
            "subject": purchase,
            "preview": preview,
            "refusal": preview.refusal,
            "form": form,
            "button": "Confirm refund",
            "cancel_url": reverse("admin:accounts_user_change", args=[purchase.user_id]),
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/ledger/transaction/refund_one.html", context)

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REFUND_PERMISSION)

    @admin.action(description="Refund selected purchases…", permissions=["refund"])
    def refund(
        self, request: HttpRequest, queryset: QuerySet[Transaction]
    ) -> TemplateResponse | None:
        """Asks for a reason on a confirmation page, then refunds each row through
        inventory.services.refund_purchase and reports each success or refusal."""
        form = RefundForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            for row in queryset.select_related("user").order_by("pk"):
                try:
                    refund = inventory.refund_purchase(
                        transaction_id=row.pk,
                        reason=form.cleaned_data["reason"],
                        staff=cast(User, request.user),  # the admin lets staff in only
                    )
                except DomainError as exc:
                    self.message_user(
                        request, f"#{row.pk} not refunded: {exc.message}", messages.ERROR
                    )
                else:
                    self.message_user(
                        request,
                        f"#{row.pk} refunded: {refund.quantity} unit(s), {refund.amount} "
                        f"{refund.currency.code} credited "
                        f"to {row.user} (refund #{refund.pk}).",
                        messages.SUCCESS,
                    )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Refund purchases",
            "opts": self.opts,
            "form": form,
            "queryset": queryset.order_by("pk"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "refund",
            "button": "Refund",
        }
        return TemplateResponse(request, "admin/ledger/transaction/refund.html", context)
