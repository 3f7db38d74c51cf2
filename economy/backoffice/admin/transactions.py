from typing import cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from economy.accounts.models import User
from economy.common.admin import ReadOnlyAdmin
from economy.common.exceptions import DomainError
from economy.inventory import services as inventory
from economy.ledger.models import Transaction

REFUND_PERMISSION = "ledger.refund_purchase"


class RefundForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why: kept in the ledger with your name.",
    )


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    """The ledger, read-only for everyone: rows are append-only, written by services only."""

    list_display = (
        "id",
        "created_at",
        "user",
        "kind",
        "status",
        "amount",
        "currency",
        "debit_wallet",
        "credit_wallet",
        "product",
        "quantity",
    )
    list_filter = ("kind", "status", "currency")
    date_hierarchy = "created_at"
    search_fields = ("user__username", "user__email", "product__name", "=idempotency_key")
    list_select_related = (
        "user",
        "product",
        "currency",
        "debit_wallet__currency",
        "credit_wallet__currency",
    )
    # A COUNT(*) over the whole ledger on every page is what makes big admins slow.
    show_full_result_count = False
    actions = ("refund",)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Transaction | None = None
    ) -> list[str]:
        return [field.name for field in self.opts.fields]

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
