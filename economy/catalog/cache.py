"""The catalog's version token and the products cached under it.

The version is replaced on commit of any product change, so caches that embed product details
(a product for sale, a user's inventory) know they are stale without a key scan.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from economy.common import cache as safe_cache

if TYPE_CHECKING:
    from .models import Product

VERSION_KEY = "catalog:version"


def bump_version_on_commit() -> None:
    transaction.on_commit(lambda: safe_cache.safe_set(VERSION_KEY, safe_cache.new_token(), None))


def _product_key(product_id: int) -> str:
    return f"catalog:product:{product_id}"


def get_or_build_product(product_id: int, build: Callable[[], "Product"]) -> "Product":
    """A product as `build()` returns it, cached until the next catalog change commits."""
    return safe_cache.versioned_get_or_build(
        _product_key(product_id), (VERSION_KEY,), build, settings.ECONOMY_PRODUCT_CACHE_TTL
    )
