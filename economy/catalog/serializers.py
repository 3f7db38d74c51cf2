from rest_framework import serializers

from .models import Currency, Product


class CurrencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Currency
        fields = ["code", "name", "initial_grant", "max_balance", "is_default"]
        read_only_fields = fields


class ProductSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(
        source="price_currency.code", read_only=True, help_text="The price's currency."
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "description",
            "price",
            "currency",
            "type",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
