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
    the unit price paid), the units of the product the buyer now holds, and the buyer's wallet
    in the price currency after it."""

    user_id = serializers.IntegerField(source="transaction.user_id", help_text="The buyer.")
    product = EventProductSerializer(source="transaction.product")


@payload(EventType.PURCHASE_REFUSED)
class PurchaseRefusedEvent(BalanceChangeSerializer):
    """A purchase refused for funds or ownership: its `failed` ledger row, which moved nothing
    (`transaction.failure_reason`: insufficient_funds or already_owned), and the buyer's wallet
    in the price currency as it stands."""

    user_id = serializers.IntegerField(source="transaction.user_id", help_text="The buyer.")
    product = EventProductSerializer(source="transaction.product")


@payload(EventType.PURCHASE_REFUNDED)
class PurchaseRefundedEvent(PurchaseSerializer):
    """A purchase refunded by support: its `refund` ledger row (the units still held when it was
    refunded, credited back at the unit price paid; `transaction.refund_of_id` names the
    purchase, `transaction.reason` says why), the units of the product the player holds after
    it, and the player's wallet after it."""

    user_id = serializers.IntegerField(source="transaction.user_id", help_text="The player.")
    product = EventProductSerializer(source="transaction.product")
    staff_id = serializers.IntegerField(
        source="transaction.created_by_id",
        allow_null=True,
        help_text="Who refunded it; null when no staff user was named (a script).",
    )


@payload(EventType.ITEM_USED)
class ItemUsedEvent(UseSerializer):
    """Units of a consumable used by the player, and the units left."""

    product_id = serializers.IntegerField(source="product.pk")
    user_id = serializers.IntegerField(help_text="The player.")
    product = EventProductSerializer()
