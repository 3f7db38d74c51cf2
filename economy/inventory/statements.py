"""The statement a purchase sends for the units it delivers, written as SQL once: creating the
player's inventory row or adding to it in one round trip, locking it either way. That is an
UPSERT, which the ORM cannot send: its update_or_create reads the row, then writes it, and
building those statements was the largest cost of a purchase's Python (docs/performance.md
measures both ways). Portable to PostgreSQL and SQLite (ON CONFLICT ... RETURNING)."""

from django.db import connection
from django.utils import timezone

from .models import InventoryItem

_TABLE = InventoryItem._meta.db_table
_ADD_UNITS = f"""
    INSERT INTO {_TABLE} (user_id, product_id, quantity, purchased_at, updated_at)
    VALUES (%s, %s, %s, %s, %s)
    ON CONFLICT (user_id, product_id)
    DO UPDATE SET quantity = {_TABLE}.quantity + EXCLUDED.quantity,
                  updated_at = EXCLUDED.updated_at
    RETURNING quantity
"""  # noqa: S608 (the table's name comes from the model)


def add_units(*, user_id: int, product_id: int, quantity: int) -> int:
    """Add `quantity` units to the player's row for the product (created if it has none), in
    the caller's transaction, which holds the row's lock from then on; the units now held."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_ADD_UNITS, [user_id, product_id, quantity, now, now])
        (held,) = cursor.fetchone()
    return int(held)
