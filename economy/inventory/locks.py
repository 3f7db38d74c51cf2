"""The inventory's row locks, second in the global order (after wallets, see
economy/ledger/locks.py): inventory rows, by product id."""

from .models import InventoryItem


def inventory_item_for_update(*, user_id: int, product_id: int) -> InventoryItem | None:
    """The player's row for the product, locked until the transaction ends; None if it has
    none yet."""
    return (
        InventoryItem.objects.select_for_update(of=("self",))
        .filter(user_id=user_id, product_id=product_id)
        .first()
    )
