"""The inventory's row locks, after wallets in the global order (see economy/ledger/locks.py):
inventory rows by product id, then by user id (a transfer moves units between two players'
rows of one product)."""

from collections.abc import Iterable

from .models import InventoryItem


def inventory_item_for_update(*, user_id: int, product_id: int) -> InventoryItem | None:
    """The player's row for the product, locked until the transaction ends; None if it has
    none yet."""
    return (
        InventoryItem.objects.select_for_update(of=("self",))
        .filter(user_id=user_id, product_id=product_id)
        .first()
    )


def inventory_items_for_update(
    *, product_id: int, user_ids: Iterable[int]
) -> dict[int, InventoryItem]:
    """The rows these players have for the product, locked until the transaction ends, in one
    statement and in user id order, so two moves between the same players in opposite
    directions never deadlock; keyed by user id, a player with no row left out."""
    rows = (
        InventoryItem.objects.select_for_update(of=("self",))
        .filter(product_id=product_id, user_id__in=sorted(set(user_ids)))
        .order_by("product_id", "user_id")
    )
    return {row.user_id: row for row in rows}


def inventory_items_of_user_for_update(
    *, user_id: int, product_ids: Iterable[int]
) -> dict[int, InventoryItem]:
    """One player's rows for these products, locked until the transaction ends, in one
    statement in product id order (a purchase delivering a bundle); keyed by product id, a
    product without a row left out."""
    rows = (
        InventoryItem.objects.select_for_update(of=("self",))
        .filter(user_id=user_id, product_id__in=sorted(set(product_ids)))
        .order_by("product_id")
    )
    return {row.product_id: row for row in rows}
