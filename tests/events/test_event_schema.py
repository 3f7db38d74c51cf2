"""The OpenAPI schema documents each event type's payload as a component, from the serializer
the type declared (economy/events/payloads.py), in the feed's `data`."""

import pytest

from economy.events.models import EventType
from economy.events.payloads import PAYLOADS
from economy.transfers.events import TransferCompletedEvent


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_documents_every_payload(schema):
    components = schema["components"]["schemas"]
    for serializer_class in PAYLOADS.values():
        assert serializer_class.__name__ in components
    assert components["PurchaseCompletedEvent"]["description"].startswith("A completed purchase")
    assert {"user_id", "product", "transaction", "balance"} <= set(
        components["PurchaseCompletedEvent"]["properties"]
    )
    # A transfer's payload is the answer of POST /transfers: one of its two shapes.
    assert [shape["$ref"] for shape in components["TransferCompletedEvent"]["oneOf"]] == [
        "#/components/schemas/CurrencyTransfer",
        "#/components/schemas/ItemTransfer",
    ]
    assert PAYLOADS[EventType.TRANSFER_COMPLETED] is TransferCompletedEvent


def test_the_feed_gives_data_as_any_of_the_payloads(schema):
    data = schema["components"]["schemas"]["Event"]["properties"]["data"]
    refs = {ref["$ref"].rsplit("/", 1)[1] for ref in data["anyOf"]}
    assert refs == {serializer_class.__name__ for serializer_class in PAYLOADS.values()}
    assert "`purchase.completed`: PurchaseCompletedEvent" in data["description"]
