from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import Direction, PolymorphicProxySerializer
from rest_framework import serializers

from economy.common.pagination import CURSOR_PATTERN
from economy.common.serializers import (
    QueryIntegerField,
    QueryRegexField,
    StrictIntegerField,
    TextField,
)
from economy.ledger.serializers import CurrencyCodeField, TransactionSerializer

# The largest id the database stores (bigint): beyond it no user or product exists.
MAX_ID = 2**63 - 1


def _user_field(help_text: str) -> StrictIntegerField:
    return StrictIntegerField(min_value=1, max_value=MAX_ID, help_text=help_text)


class _TransferRequestSerializer(serializers.Serializer):
    from_user = _user_field("The sender's id: a player may send only from itself.")
    to_user = _user_field("The receiver's id: another user.")
    reason = TextField(
        required=False,
        max_length=500,
        help_text="Your note (a trade, a payout, a gift), kept on the transfer and in the ledger.",
    )


class CurrencyTransferRequestSerializer(_TransferRequestSerializer):
    """Currency: `amount` of `currency` (the default one when absent)."""

    # The type here; the range again in ledger.services.validate_amount.
    amount = StrictIntegerField(
        min_value=1, max_value=settings.ECONOMY_MAX_DEPOSIT, help_text="Whole units."
    )
    currency = CurrencyCodeField()


class ItemTransferRequestSerializer(_TransferRequestSerializer):
    """Items: `quantity` units of `product`."""

    product = StrictIntegerField(min_value=1, max_value=MAX_ID, help_text="The product's id.")
    quantity = StrictIntegerField(
        required=False,
        default=1,
        min_value=1,
        max_value=settings.ECONOMY_MAX_PURCHASE_QUANTITY,
        help_text="Units; 1 for a permanent item (409 quantity_not_allowed otherwise).",
    )


class TransferRequestSerializer(serializers.Serializer):
    """The body of POST /transfers, for the schema: one of the two shapes (transfer_request
    parses it)."""


class TransferRequestSchema(OpenApiSerializerExtension):
    """One of the two shapes, and a body required: a proxy of both (PolymorphicProxySerializer)
    would leave the body optional, since the oneOf names no required property itself."""

    target_class = TransferRequestSerializer

    def map_serializer(self, auto_schema: AutoSchema, direction: Direction) -> dict[str, Any]:
        shapes = (CurrencyTransferRequestSerializer, ItemTransferRequestSerializer)
        return {
            "oneOf": [auto_schema.resolve_serializer(shape, direction).ref for shape in shapes],
            "required": ["from_user", "to_user"],
        }


def transfer_request(data: Any) -> dict[str, Any]:
    """The validated body of POST /transfers: the currency shape when it names an `amount`, the
    item shape when it names a `product`; naming both or neither is a ValidationError (400)."""
    if not isinstance(data, dict):
        raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
    if ("amount" in data) == ("product" in data):
        raise serializers.ValidationError(
            {
                "non_field_errors": [
                    "Give either an amount (of a currency) or a product: one of the two."
                ]
            }
        )
    shape = CurrencyTransferRequestSerializer if "amount" in data else ItemTransferRequestSerializer
    body = shape(data=data)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


class TransferSerializer(serializers.Serializer):
    """A transfer from `from_user` to `to_user`: `amount` of `currency` (with the ledger row that
    moved it, `transaction_id`), or `quantity` units of `product_id`; the other fields null."""

    id = serializers.IntegerField()
    from_user = serializers.IntegerField(source="from_user_id", help_text="The sender.")
    to_user = serializers.IntegerField(source="to_user_id", help_text="The receiver.")
    currency = serializers.CharField(source="currency.code", default=None, allow_null=True)
    amount = serializers.IntegerField(allow_null=True)
    transaction_id = serializers.IntegerField(
        allow_null=True, help_text="The ledger row of a currency transfer."
    )
    product_id = serializers.IntegerField(allow_null=True)
    product_name = serializers.CharField(source="product.name", default=None, allow_null=True)
    quantity = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class WalletSideSerializer(serializers.Serializer):
    """One party's wallet in the transfer's currency, after it."""

    user_id = serializers.IntegerField(source="owner_id")
    currency = serializers.CharField(source="currency.code")
    balance = serializers.IntegerField()
    held = serializers.IntegerField()
    available = serializers.IntegerField()


class HoldingSideSerializer(serializers.Serializer):
    """What one party holds of the transfer's product, after it."""

    user_id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    quantity = serializers.IntegerField()


class CurrencyTransferSerializer(serializers.Serializer):
    """A currency transfer, its ledger row, and both wallets after it."""

    transfer = TransferSerializer()
    transaction = TransactionSerializer(source="transfer.transaction")
    sender = WalletSideSerializer()
    receiver = WalletSideSerializer()


class ItemTransferSerializer(serializers.Serializer):
    """An item transfer and what both parties hold of the product after it."""

    transfer = TransferSerializer()
    sender = HoldingSideSerializer()
    receiver = HoldingSideSerializer()


TransferResultSerializer = PolymorphicProxySerializer(
    component_name="TransferResult",
    serializers=[CurrencyTransferSerializer, ItemTransferSerializer],
    resource_type_field_name=None,
)


class TransferQuerySerializer(serializers.Serializer):
    """Query parameters of GET /users/{id}/transfers."""

    cursor = QueryRegexField(
        CURSOR_PATTERN,
        required=False,
        help_text="Where the page starts: take it from `next` or `previous`.",
    )
    page_size = QueryIntegerField(required=False, default=20, min_value=1, max_value=100)


class TransferPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The older transfers, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The newer transfers, or null.")
    results = TransferSerializer(many=True)
