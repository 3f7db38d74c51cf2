from django.conf import settings
from rest_framework import serializers

from economy.common.serializers import StrictIntegerField
from economy.ledger.serializers import TransactionSerializer


class QuantityRequestSerializer(serializers.Serializer):
    # 1 for a permanent: inventory.services checks it, knowing the product.
    quantity = StrictIntegerField(
        required=False,
        default=1,
        min_value=1,
        max_value=settings.ECONOMY_MAX_PURCHASE_QUANTITY,
        help_text="Units; 1 for a permanent item (409 quantity_not_allowed otherwise).",
    )


class PurchaseRequestSerializer(QuantityRequestSerializer):
    user_id = StrictIntegerField(
        required=False,
        min_value=1,
        help_text="Staff and trusted backends only: the player to buy for. Defaults to the caller.",
    )


class PurchaseSerializer(serializers.Serializer):
    """The purchase, the units now held, and the buyer's wallet in the price currency."""

    transaction = TransactionSerializer()
    quantity_held = serializers.IntegerField()
    currency = serializers.CharField(source="wallet.currency.code")
    balance = serializers.IntegerField(source="wallet.balance")
    held = serializers.IntegerField(source="wallet.held")
    available = serializers.IntegerField(source="wallet.available")


class UseSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    used = serializers.IntegerField()
    quantity_left = serializers.IntegerField()


class InventoryProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    type = serializers.CharField()
    price = serializers.IntegerField()
    currency = serializers.CharField(help_text="The price's currency.")
    is_active = serializers.BooleanField()


class ConsumableSerializer(serializers.Serializer):
    product = InventoryProductSerializer()
    quantity = serializers.IntegerField()
    purchased_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PermanentSerializer(serializers.Serializer):
    product = InventoryProductSerializer()
    purchased_at = serializers.DateTimeField()


class InventorySerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    consumables = ConsumableSerializer(many=True)
    permanents = PermanentSerializer(many=True)
