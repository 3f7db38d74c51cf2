"""Writing events: one call in the service that makes the change, inside its transaction."""

from typing import Any

from django.db import connection

from .models import Event, EventType


def record(type: EventType, *, user_id: int | None, **payload: Any) -> Event:
    """Write an event in the caller's transaction: it commits or rolls back with the change."""
    if connection.get_autocommit():
        raise RuntimeError("An event is recorded inside the transaction of its change.")
    return Event.objects.create(type=type, user_id=user_id, payload=payload)
