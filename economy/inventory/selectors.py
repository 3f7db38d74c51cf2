from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import Q
from django.utils import timezone
from rest_framework.fields import DateTimeField

from economy.catalog.models import Product, ProductType
from economy.common.serializers import seconds
from economy.ledger import selectors as ledger

from . import cache
from .models import InventoryItem

PRODUCT_FIELDS = ("id", "name", "description", "type", "price", "is_active")
# The API's datetime format, applied once when the entry is built: a cache hit is sent as is.
api_datetime = DateTimeField().to_representation


def _inventory_rows(user_id: int) -> tuple[datetime | None, dict[str, Any]]:
    """The user's holdings, product details included, in one query whatever their number, and
    when that view next changes by itself (an item expires, an effect ends): None if never."""
    now = timezone.now()
    rows = (
        InventoryItem.objects.filter(user_id=user_id)
        .filter(
            Q(quantity__gt=0, expires_at__isnull=True)
            | Q(quantity__gt=0, expires_at__gt=now)
            | Q(active_until__gt=now)
        )
        .order_by("product_id")
        .values(
            "quantity",
            "expires_at",
            "active_until",
            "purchased_at",
            "updated_at",
            "product__price_currency__code",
            "product__duration",
            *(f"product__{field}" for field in PRODUCT_FIELDS),
        )
    )
    consumables, permanents, effects = [], [], []
    changes: list[datetime] = []
    for row in rows:
        product = {field: row[f"product__{field}"] for field in PRODUCT_FIELDS}
        product["currency"] = row["product__price_currency__code"]
        product["duration_seconds"] = seconds(row["product__duration"])
        active_until = row["active_until"]
        if active_until is not None and active_until <= now:
            active_until = None
        item: dict[str, Any] = {
            "product": product,
            "purchased_at": api_datetime(row["purchased_at"]),
        }
        if product["type"] == ProductType.CONSUMABLE:
            if active_until is not None:
                changes.append(active_until)
                effects.append(
                    {
                        "product_id": product["id"],
                        "name": product["name"],
                        "active_until": api_datetime(active_until),
                    }
                )
            if row["quantity"] == 0:
                continue
            item["quantity"] = row["quantity"]
            item["active_until"] = api_datetime(active_until) if active_until else None
            item["updated_at"] = api_datetime(row["updated_at"])
            consumables.append(item)
        else:
            if row["expires_at"] is not None:
                changes.append(row["expires_at"])
            item["expires_at"] = api_datetime(row["expires_at"]) if row["expires_at"] else None
            permanents.append(item)
    inventory = {
        "user_id": user_id,
        "consumables": consumables,
        "permanents": permanents,
        "active_effects": effects,
    }
    return min(changes, default=None), inventory


def inventory_for_user(*, user_id: int) -> dict[str, Any]:
    """The inventory as the API shows it (InventorySerializer's shape, ready to render): from
    the cache when it can, else one SQL query. An entry built before an item in it expired (or
    an effect ended) is rebuilt, so the cache never shows what the player no longer holds."""
    changes_at, inventory = cache.get_or_build(user_id, lambda: _inventory_rows(user_id))
    if changes_at is not None and timezone.now() >= changes_at:
        cache.invalidate(user_id)
        changes_at, inventory = cache.get_or_build(user_id, lambda: _inventory_rows(user_id))
    return inventory


class Allowance(NamedTuple):
    """What a player may still buy of a product with a purchase limit."""

    limit: int
    period: str
    remaining: int
    resets_at: datetime | None  # when the period ends; None for a lifetime limit


def allowances(
    *, user_id: int, products: Iterable[Product], now: datetime | None = None
) -> dict[int, Allowance]:
    """The player's allowance for each product with a purchase limit, by product id; at most
    one query per kind of period, whatever the number of products."""
    now = now or timezone.now()
    limited = [product for product in products if product.purchase_limit is not None]
    windows = {product.pk: product.limit_window(now) for product in limited}
    bought = ledger.units_bought(
        user_id=user_id, since={pk: start for pk, (start, _) in windows.items()}
    )
    return {
        product.pk: Allowance(
            limit,
            product.limit_period,
            max(limit - bought[product.pk], 0),
            windows[product.pk][1],
        )
        for product in limited
        if (limit := product.purchase_limit) is not None
    }
