"""The `data` of the inventory's events (economy/events/payloads.py): each is what the endpoint
that made the change answers, with the player and the product it concerns, built from the
objects the service holds (its locked wallet is kept in step by ledger.services.post)."""

from rest_framework import serializers

from economy.catalog.models import ProductType
from economy.events.models import EventType
from economy.events.payloads import payload
from economy.ledger.serializers import BalanceChangeSerializer

from .serializers import PurchaseSerializer, UseSerializer


class EventProductSerializer(serializers.Serializer):
    """The product an event concerns."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=ProductType.choices)


@payload(EventType.PURCHASE_COMPLETED)
class PurchaseCompletedEvent(PurchaseSerializer):
    """A completed purchase: its `purchase` ledger row (price x quantity of `currency`, with
    the unit price paid), the units of the product the buyer now holds (and until when, if it
    is time-limited), what a bundle delivered with it (items, and currencies as `reward` rows),
    and the buyer's wallets after it."""

    user_id = serializers.IntegerField(source="transaction.user_id", help_text="The buyer.")
    product = EventProductSerializer(source="transaction.product")


@payload(EventType.PURCHASE_REFUSED)
class PurchaseRefusedEvent(BalanceChangeSerializer):
    """A purchase refused: its `failed` ledger row, which moved nothing
    (`transaction.failure_reason`: insufficient_funds, already_owned, purchase_limit_reached or
    balance_limit_exceeded), and the buyer's wallet in the price currency as it stands."""

    user_id = serializers.IntegerField(source="transaction.user_id", help_text="The buyer.")
    product = EventProductSerializer(source="transaction.product")


@payload(EventType.PURCHASE_REFUNDED)
class PurchaseRefundedEvent(PurchaseSerializer):
    """A purchase refunded by support: its `refund` ledger row (the units still held when it was
    refunded, credited back at the unit price paid; `transaction.refund_of_id` names the
    purchase, `transaction.reason` says why), the units of the product the player holds after
    it, a bundle's granted currencies taken back (`rewards`: `refund` rows to faucet:rewards),
    and the player's wallets after it."""

    user_id = serializers.IntegerField(source="transaction.user_id", help_text="The player.")
    product = EventProductSerializer(source="transaction.product")
    staff_id = serializers.IntegerField(
        source="transaction.created_by_id",
        allow_null=True,
        help_text="Who refunded it; null when no staff user was named (a script).",
    )


@payload(EventType.ITEM_USED)
class ItemUsedEvent(UseSerializer):
    """Units of a consumable used by the player, the units left, and until when its effect runs
    (a product with a duration)."""

    user_id = serializers.IntegerField(help_text="The player.")
    product = EventProductSerializer()


@payload(EventType.ITEM_EXPIRED)
class ItemExpiredEvent(serializers.Serializer):
    """A time-limited item the player no longer owns: it expired at `expired_at` (the event
    comes from the periodic expiry task, within about a minute; the item stopped being owned
    at that moment whether or not the task had run)."""

    user_id = serializers.IntegerField(help_text="The player.")
    product = EventProductSerializer()
    expired_at = serializers.DateTimeField()
