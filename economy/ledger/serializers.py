from django.conf import settings
from rest_framework import serializers

from economy.common.serializers import StrictIntegerField

from .models import Transaction


class TransactionSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True, default=None)

    class Meta:
        model = Transaction
        fields = [
            "id",
            "kind",
            "status",
            "amount",
            "quantity",
            "unit_price",
            "product_id",
            "product_name",
            "failure_reason",
            "reason",
            "refund_of_id",
            "created_at",
        ]
        read_only_fields = fields


class AddFundsRequestSerializer(serializers.Serializer):
    amount = StrictIntegerField(min_value=1, help_text="Whole units, at most ECONOMY_MAX_DEPOSIT.")

    def validate_amount(self, value):
        if value > settings.ECONOMY_MAX_DEPOSIT:
            raise serializers.ValidationError(
                f"Ensure this value is less than or equal to {settings.ECONOMY_MAX_DEPOSIT}."
            )
        return value


class BalanceChangeSerializer(serializers.Serializer):
    transaction = TransactionSerializer()
    balance = serializers.IntegerField()
