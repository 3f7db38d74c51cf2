"""The statements a delivery sends for the units it adds, written as SQL once: creating the
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
# The same, unless the row would then hold more than a maximum: nothing is updated (the row is
# locked all the same) and nothing returned.
_ADD_UNITS_UP_TO = _ADD_UNITS.replace(
    "RETURNING", f"WHERE {_TABLE}.quantity + EXCLUDED.quantity <= %s RETURNING"
)


def add_units(*, user_id: int, product_id: int, quantity: int) -> int:
    """Add `quantity` units to the player's row for the product (created if it has none), in
    the caller's transaction, which holds the row's lock from then on; the units now held."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_ADD_UNITS, [user_id, product_id, quantity, now, now])
        (held,) = cursor.fetchone()
    return int(held)


def add_units_up_to(*, user_id: int, product_id: int, quantity: int, most: int) -> int | None:
    """As add_units, unless the row would then hold more than `most` units: then nothing is
    added and None is returned. A permanent is delivered with most=1, so two deliveries racing
    to a player who holds none (a purchase and a gift, two gifts) wait on one another's new row
    and only the first lands."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_ADD_UNITS_UP_TO, [user_id, product_id, quantity, now, now, most])
        row = cursor.fetchone()
    return None if row is None else int(row[0])
