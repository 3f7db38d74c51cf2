"""The outbox: a record of each change a game server may want to know about, written in the same
database transaction as the change, so a rolled-back change leaves no event and a committed one
exactly one (contract section 6)."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class EventType(models.TextChoices):
    """Every event the service emits. Adding one is a line here, its payload's serializer
    (`payloads.payload`) and a `record()` call in the service that makes the change."""

    PURCHASE_COMPLETED = "purchase.completed", "Purchase completed"
    PURCHASE_REFUSED = "purchase.refused", "Purchase refused"
    PURCHASE_REFUNDED = "purchase.refunded", "Purchase refunded"
    DEPOSIT_COMPLETED = "deposit.completed", "Deposit completed"
    BALANCE_ADJUSTED = "balance.adjusted", "Balance adjusted"
    SPEND_COMPLETED = "spend.completed", "Spend completed"
    ITEM_USED = "item.used", "Item used"
    ITEM_EXPIRED = "item.expired", "Item expired"
    HOLD_PLACED = "hold.placed", "Hold placed"
    HOLD_CAPTURED = "hold.captured", "Hold captured"
    HOLD_VOIDED = "hold.voided", "Hold voided"
    HOLD_EXPIRED = "hold.expired", "Hold expired"
    TRANSFER_COMPLETED = "transfer.completed", "Transfer completed"


class Event(models.Model):
    """One thing that happened. Never changed once written, but for the feed position it is
    given once it has committed (outbox.sequence)."""

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
    position = models.BigIntegerField(
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="Its place in the feed, in the order events became visible: the cursor.",
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["type", "position"], name="event_type_position_idx"),
            models.Index(
                fields=["id"],
                condition=models.Q(position__isnull=True),
                name="event_unsequenced_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type}"


class EventSequence(models.Model):
    """The last feed position given out: one row, locked while positions are given, so that a
    position is only ever given to an event already committed, and a later one gets a higher
    one."""

    last_position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"feed at {self.last_position}"
