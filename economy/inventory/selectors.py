from typing import Any

from rest_framework.fields import DateTimeField

from economy.catalog.models import ProductType

from . import cache
from .models import InventoryItem

PRODUCT_FIELDS = ("id", "name", "description", "type", "price", "is_active")
# The API's datetime format, applied once when the entry is built: a cache hit is sent as is.
_datetime = DateTimeField().to_representation


def _inventory_rows(user_id: int) -> dict[str, Any]:
    """The user's holdings, product details included, in one query whatever their number."""
    rows = (
        InventoryItem.objects.filter(user_id=user_id, quantity__gt=0)
        .order_by("product_id")
        .values(
            "quantity",
            "purchased_at",
            "updated_at",
            "product__price_currency__code",
            *(f"product__{field}" for field in PRODUCT_FIELDS),
        )
    )
    consumables, permanents = [], []
    for row in rows:
        product = {field: row[f"product__{field}"] for field in PRODUCT_FIELDS}
        product["currency"] = row["product__price_currency__code"]
        item = {"product": product, "purchased_at": _datetime(row["purchased_at"])}
        if product["type"] == ProductType.CONSUMABLE:
            item["quantity"] = row["quantity"]
            item["updated_at"] = _datetime(row["updated_at"])
            consumables.append(item)
        else:
            permanents.append(item)
    return {"user_id": user_id, "consumables": consumables, "permanents": permanents}


def inventory_for_user(*, user_id: int) -> dict[str, Any]:
    """The inventory as the API shows it (InventorySerializer's shape, ready to render): from
    the cache when it can, else one SQL query."""
    return cache.get_or_build(user_id, lambda: _inventory_rows(user_id))
