"""What PostgreSQL refuses by itself about events (events/migrations/sql/0004_append_only.*):
each test tries the forbidden write directly. tests/ledger/test_sqlite_invariants.py does the
same on SQLite."""

import pytest
from django.db import IntegrityError, connection, transaction

from economy.events import outbox
from economy.events.models import Event, EventType

pytestmark = pytest.mark.django_db


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def refused(statement, params=()):
    with pytest.raises(IntegrityError, match="events: "), transaction.atomic():
        sql(statement, params)


@pytest.fixture
def event():
    return Event.objects.create(
        type=EventType.DEPOSIT_COMPLETED, payload={"transaction": {"amount": 10}}
    )


def test_an_event_never_changes_but_for_its_position_given_once(event):
    for change in (
        "payload = '{\"forged\": true}'",
        "type = 'purchase.completed'",
        "created_at = created_at - interval '1 year'",
    ):
        refused(f"UPDATE events_event SET {change} WHERE id = %s", [event.pk])
    with transaction.atomic():
        [sequenced] = outbox.sequence()
    assert sequenced.pk == event.pk
    refused("UPDATE events_event SET position = position + 100 WHERE id = %s", [event.pk])
    refused("UPDATE events_event SET position = NULL WHERE id = %s", [event.pk])
    event.refresh_from_db()
    assert event.payload == {"transaction": {"amount": 10}}
    assert event.position == sequenced.position


def test_an_event_leaves_only_once_in_the_feed(event):
    refused("DELETE FROM events_event WHERE id = %s", [event.pk])
    with transaction.atomic():
        outbox.sequence()
    sql("DELETE FROM events_event WHERE id = %s", [event.pk])  # the retention's purge
    assert not Event.objects.filter(pk=event.pk).exists()
