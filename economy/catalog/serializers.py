from rest_framework import serializers

from economy.common.serializers import QueryChoiceField, QueryIntegerField

from .models import Currency, Product, ProductType


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


class ProductQuerySerializer(serializers.Serializer):
    """Query parameters of GET /products."""

    type = QueryChoiceField(choices=ProductType.choices, required=False)
    page = QueryIntegerField(required=False, min_value=1, help_text="From 1; past the last: 404.")
    page_size = QueryIntegerField(required=False, min_value=1, max_value=100, default=20)
