from rest_framework import serializers

from economy.common.serializers import DurationSecondsField, QueryChoiceField, QueryIntegerField

from .models import Currency, CurrencyGrant, ItemGrant, Product, ProductType


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


class CurrencyGrantSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(source="currency.code", read_only=True)
    amount = serializers.IntegerField(read_only=True, help_text="Given with each unit bought.")

    class Meta:
        model = CurrencyGrant
        fields = ["currency", "amount"]
        read_only_fields = fields


class ItemGrantSerializer(serializers.ModelSerializer):
    product_id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="product.name", read_only=True)
    type = serializers.ChoiceField(
        source="product.type", choices=ProductType.choices, read_only=True
    )
    quantity = serializers.IntegerField(read_only=True, help_text="Given with each unit bought.")

    class Meta:
        model = ItemGrant
        fields = ["product_id", "name", "type", "quantity"]
        read_only_fields = fields


class GrantsSerializer(serializers.Serializer):
    """What a bundle delivers with each unit besides itself (empty lists: not a bundle)."""

    currencies = CurrencyGrantSerializer(source="currency_grants", many=True, read_only=True)
    items = ItemGrantSerializer(source="item_grants", many=True, read_only=True)


class ProductSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(
        source="price_currency.code", read_only=True, help_text="The price's currency."
    )
    is_giftable = serializers.BooleanField(
        read_only=True, help_text="Whether players may send it to one another (POST /transfers)."
    )
    duration_seconds = DurationSecondsField(
        source="duration",
        help_text="A permanent: how long it is owned once bought (a repurchase extends it). A "
        "consumable: how long its effect runs per unit used. Null: forever / no effect.",
    )
    available_from = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="On sale from then; null: already."
    )
    available_until = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="On sale until then; null: no end."
    )
    grants = GrantsSerializer(source="*", read_only=True)

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
            "duration_seconds",
            "available_from",
            "available_until",
            "grants",
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
