from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from economy.common.admin import ReadOnlyAdmin
from economy.events.models import EventType

from . import delivery
from .models import Delivery, Endpoint, new_secret

REDELIVER_PERMISSION = "webhooks.redeliver_delivery"


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        max_length=500, assume_scheme="https", help_text="Where events are POSTed."
    )
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="The types sent to this endpoint; none ticked: every type.",
    )

    class Meta:
        model = Endpoint
        fields = ("url", "description", "event_types", "is_active")


def _show_secret_once(request: HttpRequest, endpoint: Endpoint) -> None:
    messages.warning(
        request,
        format_html(
            "Signing secret of {}: <code>{}</code>. Copy it into the receiver now: it is not "
            "shown again (rotate it to get a new one).",
            endpoint.url,
            endpoint.secret,
        ),
    )


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    """The studio's webhook receivers, with their health at a glance: what reached them in the
    last 24 hours, what waits, what failed."""

    form = EndpointForm
    list_display = ("url", "is_active", "types", "health", "last_delivered_at")
    list_filter = ("is_active",)
    search_fields = ("url", "description")
    readonly_fields = ("created_at", "fanned_out_to")
    actions = ("rotate_secret",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Endpoint]:
        since = timezone.now() - timedelta(hours=24)
        last_failure = (
            Delivery.objects.filter(endpoint=OuterRef("pk"))
            .exclude(last_error="")
            .order_by("-last_attempt_at")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                delivered_count=Count(
                    "deliveries",
                    filter=Q(
                        deliveries__status=Delivery.Status.DELIVERED,
                        deliveries__delivered_at__gte=since,
                    ),
                ),
                pending_count=Count(
                    "deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)
                ),
                failed_count=Count(
                    "deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)
                ),
                last_delivery=Max("deliveries__delivered_at"),
                last_failure_code=Subquery(last_failure.values("last_status_code")[:1]),
                last_failure_at=Subquery(last_failure.values("last_attempt_at")[:1]),
            )
        )

    @admin.display(description="event types")
    def types(self, endpoint: Endpoint) -> str:
        return ", ".join(endpoint.event_types) if endpoint.event_types else "all"

    @admin.display(description="health (24 h)")
    def health(self, endpoint: Any) -> str:
        summary = (
            f"{endpoint.delivered_count} delivered · {endpoint.pending_count} waiting · "
            f"{endpoint.failed_count} failed"
        )
        if endpoint.last_failure_at is None:
            return summary
        code = endpoint.last_failure_code or "no response"
        return f"{summary} · last failure {code} at {endpoint.last_failure_at:%Y-%m-%d %H:%M}"

    @admin.display(description="last delivered", ordering="last_delivery")
    def last_delivered_at(self, endpoint: Any) -> Any:
        return endpoint.last_delivery

    def save_model(self, request: HttpRequest, obj: Endpoint, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            _show_secret_once(request, obj)

    @admin.action(description="Rotate the signing secret of selected endpoints")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        for endpoint in queryset:
            endpoint.secret = new_secret()
            endpoint.save(update_fields=["secret"])
            _show_secret_once(request, endpoint)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """Each event's delivery to each endpoint; support sends failed or stuck ones again."""

    list_display = (
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_response",
        "next_attempt_at",
    )
    list_display_links = ("event_type",)
    list_filter = ("status", "endpoint", "event__type")
    search_fields = ("=event__id",)
    list_select_related = ("event", "endpoint")
    raw_id_fields = ("event",)
    show_full_result_count = False
    actions = ("redeliver",)

    def get_readonly_fields(self, request: HttpRequest, obj: Delivery | None = None) -> list[str]:
        return [field.name for field in self.opts.fields]

    @admin.display(description="event", ordering="event_id")
    def event_type(self, item: Delivery) -> str:
        return f"{item.event.type} #{item.event_id}"

    @admin.display(description="last response")
    def last_response(self, item: Delivery) -> str:
        if item.attempts == 0:
            return "-"
        code = item.last_status_code or "no response"
        return f"{code} {item.last_error[:60]}".strip()

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REDELIVER_PERMISSION)

    @admin.action(description="Deliver selected again", permissions=["redeliver"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = delivery.redeliver(queryset)
        self.message_user(
            request,
            f"{count} deliveries queued again: they leave with the next dispatch (seconds).",
            messages.SUCCESS,
        )
