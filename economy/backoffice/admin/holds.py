from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from economy.accounts.models import User
from economy.common.admin import ReadOnlyAdmin
from economy.common.exceptions import DomainError
from economy.ledger import holds
from economy.ledger.models import Hold, HoldStatus

from .. import desk
from .links import hold_link, player_link, transaction_link

VOID_PERMISSION = "ledger.void_hold"


class VoidForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why: kept on the hold with your name.",
    )


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    """Holds, read-only: they change through ledger.holds only. Support may void pending ones
    (the player's currency is released) with a reason."""

    list_display = ("id", "user", "reserved", "status", "paid_to", "expires_at", "reference")
    list_filter = ("status", "on_expiry", "wallet__currency")
    date_hierarchy = "created_at"
    search_fields = ("user__username", "user__email", "=reference", "=idempotency_key")
    list_select_related = ("user", "wallet__currency", "destination__currency")
    show_full_result_count = False
    actions = ("void",)

    def get_readonly_fields(self, request: HttpRequest, obj: Hold | None = None) -> list[str]:
        return [field.name for field in self.opts.fields]

    @admin.display(description="amount", ordering="amount")
    def reserved(self, hold: Hold) -> str:
        return f"{hold.amount} {hold.wallet.currency.code}"

    @admin.display(description="destination")
    def paid_to(self, hold: Hold) -> str:
        return hold.destination.label

    def get_urls(self) -> list[URLPattern]:
        void = path(
            "<path:object_id>/void/",
            self.admin_site.admin_view(self.void_view),
            name="ledger_hold_void",
        )
        return [void, *super().get_urls()]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Hold | None = None,
    ) -> HttpResponse:
        context["can_void"] = (
            obj is not None and self.has_void_permission(request) and not desk.void_refusal(obj)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def void_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Void one hold through ledger.holds.void_hold, from a page that says what will be
        released and asks for the reason."""
        if not (self.has_view_permission(request) and self.has_void_permission(request)):
            raise PermissionDenied
        hold = self.get_object(request, object_id)
        if hold is None:
            raise Http404("No such hold.")
        form = VoidForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                change = holds.void_hold(
                    hold_id=hold.pk,
                    reason=form.cleaned_data["reason"],
                    actor=cast(User, request.user),  # the admin lets staff in only
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    format_html(
                        "{} voided: {} {} released to {} ({} voided).",
                        hold_link(hold),
                        change.hold.amount,
                        change.wallet.currency.code,
                        player_link(hold.user_id, hold.user),
                        transaction_link(change.hold.reservation),
                    ),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:accounts_user_change", args=[hold.user_id])
                )
            hold = self.get_object(request, object_id) or hold
        refusal = desk.void_refusal(hold)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Void hold #{hold.pk}",
            "opts": self.opts,
            "subject": hold,
            "refusal": refusal,
            "form": form,
            "button": "Confirm void",
            "cancel_url": reverse("admin:accounts_user_change", args=[hold.user_id]),
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/ledger/hold/void_one.html", context)

    def has_void_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(VOID_PERMISSION)

    @admin.action(description="Void selected holds…", permissions=["void"])
    def void(self, request: HttpRequest, queryset: QuerySet[Hold]) -> TemplateResponse | None:
        """Asks for a reason on a confirmation page, then voids each hold through
        ledger.holds.void_hold and reports each success or refusal."""
        form = VoidForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            for hold in queryset.order_by("pk"):
                try:
                    change = holds.void_hold(
                        hold_id=hold.pk,
                        reason=form.cleaned_data["reason"],
                        actor=cast(User, request.user),  # the admin lets staff in only
                    )
                except DomainError as exc:
                    self.message_user(
                        request, f"#{hold.pk} not voided: {exc.message}", messages.ERROR
                    )
                else:
                    self.message_user(
                        request,
                        f"#{hold.pk} voided: {change.hold.amount} {change.wallet.currency.code} "
                        f"released to {hold.user}.",
                        messages.SUCCESS,
                    )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Void holds",
            "opts": self.opts,
            "form": form,
            "queryset": queryset.select_related("user", "wallet__currency").order_by("pk"),
            "pending": HoldStatus.PENDING,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "void",
            "button": "Void",
        }
        return TemplateResponse(request, "admin/ledger/hold/void.html", context)
