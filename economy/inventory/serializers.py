from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from economy.catalog.models import LimitPeriod
from economy.catalog.serializers import ProductSerializer
from economy.common.serializers import StrictIntegerField
from economy.ledger.serializers import BalanceSerializer, TransactionSerializer


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


class AllowanceSerializer(serializers.Serializer):
    limit = serializers.IntegerField(help_text="Units one player may buy per period.")
    period = serializers.ChoiceField(choices=LimitPeriod.choices)
    remaining = serializers.IntegerField(help_text="What the caller may still buy.")
    resets_at = serializers.DateTimeField(
        allow_null=True, help_text="When the period ends (UTC); null for a lifetime limit."
    )


@extend_schema_serializer(component_name="Product")
class StoreProductSerializer(ProductSerializer):
    """A product on sale, as the caller sees it: with the caller's allowance."""

    purchase_limit = AllowanceSerializer(
        source="allowance",
        read_only=True,
        allow_null=True,
        help_text="The per-player purchase limit and what the caller may still buy; null: none.",
    )

    class Meta(ProductSerializer.Meta):
        fields = [*ProductSerializer.Meta.fields, "purchase_limit"]
        read_only_fields = fields


class GrantedItemSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(source="product.pk")
    name = serializers.CharField(source="product.name")
    quantity = serializers.IntegerField(help_text="Units delivered.")
    quantity_held = serializers.IntegerField(source="held", help_text="Units now held.")
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="A time-limited item: owned until then."
    )


class BalancesField(serializers.DictField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=BalanceSerializer(), **kwargs)

    def to_representation(self, value: Any) -> dict[str, Any]:  # the wallets: tuple[Wallet]
        # The child represents each wallet: a serializer built per wallet would deep-copy its
        # fields every time.
        return {wallet.currency.code: self.child.to_representation(wallet) for wallet in value}


class PurchaseSerializer(serializers.Serializer):
    """The purchase, the units now held, what a bundle delivered besides, and the buyer's
    wallet in the price currency (every wallet it changed in `balances`)."""

    transaction = TransactionSerializer()
    quantity_held = serializers.IntegerField()
    expires_at = serializers.DateTimeField(
        allow_null=True,
        help_text="A time-limited item: owned until then (extended by each purchase).",
    )
    granted_items = GrantedItemSerializer(
        many=True,
        help_text="A bundle's items delivered with it; a permanent already owned is skipped "
        "and not listed.",
    )
    rewards = TransactionSerializer(
        many=True,
        help_text="A bundle's currencies, one `reward` row each (faucet:rewards -> the buyer). "
        "In a refund: the `refund` rows that took them back.",
    )
    currency = serializers.CharField(source="wallet.currency.code")
    balance = serializers.IntegerField(source="wallet.balance")
    held = serializers.IntegerField(source="wallet.held")
    available = serializers.IntegerField(source="wallet.available")
    balances = BalancesField(source="wallets", help_text="Every wallet it changed, by currency.")


class UseSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(source="product.pk")
    used = serializers.IntegerField()
    quantity_left = serializers.IntegerField()
    active_until = serializers.DateTimeField(
        allow_null=True,
        help_text="A product with a duration: its effect is active until then (null: none).",
    )


class InventoryProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    type = serializers.CharField()
    price = serializers.IntegerField()
    currency = serializers.CharField(help_text="The price's currency.")
    is_active = serializers.BooleanField()
    duration_seconds = serializers.IntegerField(
        allow_null=True, help_text="Time-limited item or effect length; null: none."
    )


class ConsumableSerializer(serializers.Serializer):
    product = InventoryProductSerializer()
    quantity = serializers.IntegerField()
    active_until = serializers.DateTimeField(
        allow_null=True, help_text="Its effect is active until then; null: not active."
    )
    purchased_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PermanentSerializer(serializers.Serializer):
    product = InventoryProductSerializer()
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="A time-limited item: owned until then; null: for good."
    )
    purchased_at = serializers.DateTimeField()


class ActiveEffectSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    name = serializers.CharField()
    active_until = serializers.DateTimeField()


class InventorySerializer(serializers.Serializer):
    """What the player holds now: expired items are never listed, ended effects never shown."""

    user_id = serializers.IntegerField()
    consumables = ConsumableSerializer(many=True)
    permanents = PermanentSerializer(many=True)
    active_effects = ActiveEffectSerializer(
        many=True,
        help_text="Consumables whose effect is running (a boost used), even with no unit left: "
        "what a game server asks when it wants to know whether a boost is active.",
    )
