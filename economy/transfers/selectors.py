"""Reads of transfers: a player's history, and what it sent of a currency since a moment."""

import heapq
from datetime import datetime

from django.db.models import Sum

from economy.catalog.models import Currency
from economy.common.pagination import Position, from_position

from .models import Transfer


def transfers_of(*, user_id: int, after: Position | None = None, size: int = 20) -> list[Transfer]:
    """A page of the transfers a player sent or received, newest first. Each side is read from
    its own index, newest first, and the two are merged: two queries per page whatever the
    length of the history. `after` continues from a transfer, older ones by default, newer ones
    with `newer`; at most `size` transfers."""
    rows = from_position(Transfer.objects.select_related("currency", "product"), after)
    newer = after is not None and after.newer
    sides = [
        list(rows.filter(from_user_id=user_id)[:size]),
        list(rows.filter(to_user_id=user_id)[:size]),
    ]
    merged = list(heapq.merge(*sides, key=_position, reverse=not newer))[:size]
    return merged[::-1] if newer else merged


def sent_since(*, user_id: int, currency: Currency, since: datetime) -> int:
    """What the player sent of `currency` in transfers since `since`, from its index."""
    total = Transfer.objects.filter(
        from_user_id=user_id, currency=currency, created_at__gte=since
    ).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def _position(row: Transfer) -> tuple[datetime, int]:
    return (row.created_at, row.pk)
