from rest_framework import serializers

from economy.catalog.models import ProductType
from economy.common.serializers import StrictIntegerField

from . import analytics
from .models import Kind, Status


class TransactionSerializer(serializers.Serializer):
    """A ledger row. Plain fields rather than a ModelSerializer: it is on every money path's
    response, and DRF builds a ModelSerializer's fields anew for each instance."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    amount = serializers.IntegerField()
    quantity = serializers.IntegerField(allow_null=True)
    unit_price = serializers.IntegerField(allow_null=True)
    product_id = serializers.IntegerField(allow_null=True)
    product_name = serializers.CharField(source="product.name", default=None, allow_null=True)
    failure_reason = serializers.CharField()
    reason = serializers.CharField()
    refund_of_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class AddFundsRequestSerializer(serializers.Serializer):
    # The type is checked here; the range (1..ECONOMY_MAX_DEPOSIT) by ledger.services, the one
    # place that knows it, for the API and the support commands alike.
    amount = StrictIntegerField(min_value=1, help_text="Whole units, at most ECONOMY_MAX_DEPOSIT.")


class BalanceChangeSerializer(serializers.Serializer):
    transaction = TransactionSerializer()
    balance = serializers.IntegerField()


class PopularProductsQuerySerializer(serializers.Serializer):
    """Query parameters of GET /analytics/popular-products."""

    days = serializers.IntegerField(
        required=False,
        default=analytics.DEFAULT_DAYS,
        min_value=1,
        max_value=analytics.MAX_DAYS,
        help_text="The window: completed purchases of the last `days` days (1-90, default 7).",
    )
    limit = serializers.IntegerField(
        required=False,
        default=analytics.DEFAULT_LIMIT,
        min_value=1,
        max_value=analytics.MAX_LIMIT,
        help_text="How many products to return (1-50, default 5).",
    )


class PopularProductSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=ProductType.choices)
    purchases = serializers.IntegerField(help_text="Completed purchases in the window.")
    units = serializers.IntegerField(help_text="Units bought by those purchases.")


class PopularProductsSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    limit = serializers.IntegerField()
    results = PopularProductSerializer(
        many=True,
        help_text="Most purchases first; ties by units bought, then by product id.",
    )
