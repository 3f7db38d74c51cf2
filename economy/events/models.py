"""The outbox: a record of each change a game server may want to know about, written in the same
database transaction as the change, so a rolled-back change leaves no event and a committed one
exactly one (contract section 6)."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class EventType(models.TextChoices):
    """Every event the service emits. Adding one is a line here and a `record()` call."""

    HOLD_PLACED = "hold.placed", "Hold placed"
    HOLD_CAPTURED = "hold.captured", "Hold captured"
    HOLD_VOIDED = "hold.voided", "Hold voided"
    HOLD_EXPIRED = "hold.expired", "Hold expired"
    TRANSFER_COMPLETED = "transfer.completed", "Transfer completed"


class Event(models.Model):
    """One thing that happened, in the order it committed its id. Never changed once written."""

    type = models.CharField(max_length=64, choices=EventType)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The player it concerns.",
    )
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["type", "id"], name="event_type_id_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type}"
