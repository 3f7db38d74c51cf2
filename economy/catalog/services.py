"""Writes to the catalog."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from . import cache
from .models import Product


def save_product(*, product: Product) -> Product:
    """Create or edit a product. The ledger keeps the price each purchase paid, so a new price
    never alters the past; cached inventories showing the product go stale on commit."""
    with transaction.atomic():
        product.full_clean()
        product.save()
        cache.bump_version_on_commit()
    return product


def set_products_active(*, product_ids: Iterable[int], is_active: bool) -> int:
    """Activate or deactivate products in one UPDATE; returns how many changed.

    A deactivated product stays in inventories and in the ledger; it can no longer be bought.
    """
    with transaction.atomic():
        changed = (
            Product.objects.filter(pk__in=product_ids)
            .exclude(is_active=is_active)
            .update(is_active=is_active, updated_at=timezone.now())
        )
        if changed:
            cache.bump_version_on_commit()
    return changed
