"""Where events go: the studio's endpoints, and one delivery of each event to each endpoint
that subscribed to its type, with its attempts (contract section 6)."""

import base64
import secrets

from django.db import models
from django.utils import timezone

from economy.events import outbox
from economy.events.models import Event


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def current_position() -> int:
    """Where the feed is now: a new endpoint gets the events from there on."""
    return outbox.last_position()


class Endpoint(models.Model):
    url = models.URLField(
        max_length=500, help_text="Where events are POSTed (https in production)."
    )
    description = models.CharField(max_length=200, blank=True)
    # Kept as given: signing needs it. Shown once, when it is made (admin).
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    event_types = models.JSONField(
        default=list, blank=True, help_text="The event types sent here; none ticked: every type."
    )
    is_active = models.BooleanField(default=True, help_text="Inactive: nothing is sent or queued.")
    fanned_out_to = models.BigIntegerField(
        default=current_position,
        editable=False,
        help_text="The last feed position given deliveries here.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class Delivery(models.Model):
    """One event for one endpoint: pending until the endpoint answers 2xx (delivered), or until
    its retries run out (failed, re-deliverable from the admin)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    leased_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker is sending it until then."
    )
    give_up_at = models.DateTimeField(help_text="No retry is scheduled after this.")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-id"]
        permissions = [("redeliver_delivery", "Can send a delivery again")]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"], name="delivery_once_per_endpoint"
            ),
            models.CheckConstraint(
                condition=models.Q(status="delivered", delivered_at__isnull=False)
                | (~models.Q(status="delivered") & models.Q(delivered_at__isnull=True)),
                name="delivery_delivered_at",
            ),
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "next_attempt_at"],
                condition=models.Q(status="pending"),
                name="delivery_due_idx",
            ),
            models.Index(fields=["status", "endpoint"], name="delivery_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint}"
