"""The `data` of the transfers' event (economy/events/payloads.py): the answer of POST /transfers
itself, which names both players, what moved, and both sides after it."""

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import Direction
from rest_framework import serializers

from economy.common.serializers import represent
from economy.events.models import EventType
from economy.events.payloads import payload

from .serializers import CurrencyTransferSerializer, ItemTransferSerializer


@payload(EventType.TRANSFER_COMPLETED)
class TransferCompletedEvent(serializers.Serializer):
    """A transfer between two players, as POST /transfers answered it: a currency transfer with
    its ledger row and both wallets after it, or an item transfer with what both players hold of
    the product after it."""

    def to_representation(self, instance: Any) -> Any:
        # A currency transfer names its currency; an item transfer names none (the Transfer
        # row's CHECK constraint).
        if instance.transfer.currency_id is not None:
            return represent(CurrencyTransferSerializer, instance)
        return represent(ItemTransferSerializer, instance)


class TransferCompletedEventSchema(OpenApiSerializerExtension):
    """One of the two shapes, as the response of POST /transfers."""

    target_class = TransferCompletedEvent

    def map_serializer(self, auto_schema: AutoSchema, direction: Direction) -> dict[str, Any]:
        shapes = (CurrencyTransferSerializer, ItemTransferSerializer)
        return {
            "oneOf": [auto_schema.resolve_serializer(shape, direction).ref for shape in shapes],
            "description": get_doc(TransferCompletedEvent),
        }
