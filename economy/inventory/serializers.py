from rest_framework import serializers

from economy.common.serializers import StrictIntegerField
from economy.ledger.serializers import TransactionSerializer


class QuantityRequestSerializer(serializers.Serializer):
    # The type is checked here; the range (1..ECONOMY_MAX_PURCHASE_QUANTITY, 1 for a permanent)
    # by inventory.services, which knows the product.
    quantity = StrictIntegerField(required=False, default=1, min_value=1)


class PurchaseRequestSerializer(QuantityRequestSerializer):
    user_id = StrictIntegerField(
        required=False,
        min_value=1,
        help_text="Staff and trusted backends only: the player to buy for. Defaults to the caller.",
    )


class PurchaseSerializer(serializers.Serializer):
    transaction = TransactionSerializer()
    quantity_held = serializers.IntegerField()
    balance = serializers.IntegerField()


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
