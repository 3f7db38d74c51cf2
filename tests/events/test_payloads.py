"""The payload of every event type is declared once, as a serializer (economy/events/payloads.py),
and `record` writes an event only in the transaction of its change."""

import json

import pytest
from django.db import transaction

from economy.events import outbox
from economy.events.models import Event, EventType
from economy.events.payloads import PAYLOADS
from economy.inventory import services as inventory
from economy.inventory.events import PurchaseCompletedEvent
from tests.factories import UserFactory


def test_every_event_type_has_a_declared_payload():
    assert [t for t in EventType if t not in PAYLOADS] == []
    assert set(PAYLOADS) == set(EventType)


def test_each_payload_is_a_named_and_described_component():
    """The class name is the OpenAPI component's, its docstring the component's description."""
    for event_type, serializer_class in PAYLOADS.items():
        assert serializer_class.__name__.endswith("Event"), event_type
        assert (serializer_class.__doc__ or "").strip(), event_type


@pytest.mark.django_db
def test_a_payload_is_plain_json_and_reads_back_as_it_was_written(player, product):
    """Written through DjangoJSONEncoder, it would turn a datetime or a Decimal into a string
    silently: the serializers give JSON values themselves, so what a consumer reads back is
    what was built."""
    result = inventory.purchase_product(user_id=player.pk, product_id=product.pk)
    built = PurchaseCompletedEvent().to_representation(result)
    assert json.loads(json.dumps(built)) == built
    stored = Event.objects.get(type=EventType.PURCHASE_COMPLETED)
    assert stored.payload == built


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_raises_and_writes_nothing(product):
    player = UserFactory(funds=1000)
    result = inventory.purchase_product(user_id=player.pk, product_id=product.pk)
    before = Event.objects.count()
    with pytest.raises(RuntimeError, match="inside the transaction"):
        outbox.record(EventType.PURCHASE_COMPLETED, result, user_id=player.pk)
    assert Event.objects.count() == before
    with transaction.atomic():
        outbox.record(EventType.PURCHASE_COMPLETED, result, user_id=player.pk)
    assert Event.objects.count() == before + 1
