"""Writing events: one call in the service that makes the change, inside its transaction."""

from typing import Any

from django.db import connection

from economy.common import replicas
from economy.common.serializers import represent

from .models import Event, EventSequence, EventType
from .payloads import PAYLOADS

SEQUENCE_BATCH = 1000


def record(type: EventType, instance: Any, *, user_id: int | None) -> Event:
    """Write an event in the caller's transaction, so it commits or rolls back with the change:
    its payload is `instance` as the serializer declared for `type` represents it."""
    if connection.get_autocommit():
        raise RuntimeError("An event is recorded inside the transaction of its change.")
    serializer_class = PAYLOADS.get(type)
    if serializer_class is None:
        raise LookupError(f"No payload is declared for {type} (events.payloads.payload).")
    # Every change a player sees writes an event: its reads stay on the primary for a while.
    replicas.wrote(user_id)
    return Event.objects.create(
        type=type, user_id=user_id, payload=represent(serializer_class, instance)
    )


def sequence(limit: int = SEQUENCE_BATCH) -> list[Event]:
    """Give feed positions to up to `limit` committed events that have none yet, oldest first,
    in the caller's transaction; return them.

    Event ids do not follow commit order (a transaction that took id 10 may commit after the
    one that took 11), so a reader following ids could pass an event that commits late. The
    sequence row's lock makes positions follow the order in which events became visible: a
    reader following positions never skips one.
    """
    if connection.get_autocommit():
        raise RuntimeError("Positions are given inside a transaction.")
    counter, _ = EventSequence.objects.select_for_update().get_or_create(pk=1)
    events = list(Event.objects.filter(position__isnull=True).order_by("id")[:limit])
    for offset, event in enumerate(events, start=1):
        event.position = counter.last_position + offset
    if events:
        Event.objects.bulk_update(events, ["position"])
        counter.last_position += len(events)
        counter.save(update_fields=["last_position"])
    return events


def last_position() -> int:
    """The last position given: every event up to it has committed, and is visible."""
    return EventSequence.objects.values_list("last_position", flat=True).first() or 0


def has_unsequenced() -> bool:
    return Event.objects.filter(position__isnull=True).exists()
