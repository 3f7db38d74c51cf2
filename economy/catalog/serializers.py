from rest_framework import serializers

from economy.common.serializers import QueryChoiceField, QueryIntegerField

from .models import Currency, Product, ProductType


class CurrencySerializer(serializers.ModelSerializer):
    is_giftable = serializers.BooleanField(
        read_only=True, help_text="Whether players may send it to one another (POST /transfers)."
    )
    daily_transfer_limit = serializers.IntegerField(
        source="transfer_limit",
        read_only=True,
        help_text="The most a player may send to other players per UTC day, when giftable.",
    )

    class Meta:
        model = Currency
        fields = [
            "code",
            "name",
            "initial_grant",
            "max_balance",
            "is_default",
            "is_giftable",
            "daily_transfer_limit",
        ]
        read_only_fields = fields


class ProductSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(
        source="price_currency.code", read_only=True, help_text="The price's currency."
    )
    is_giftable = serializers.BooleanField(
        read_only=True, help_text="Whether players may send it to one another (POST /transfers)."
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
            "is_giftable",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProductQuerySerializer(serializers.Serializer):
    """Query parameters of GET /products."""

    type = QueryChoiceField(choices=ProductType.choices, required=False)
    page = QueryIntegerField(
        required=False, min_value=1, max_value=10**9, help_text="From 1; past the last: 404."
    )
    page_size = QueryIntegerField(required=False, min_value=1, max_value=100, default=20)
