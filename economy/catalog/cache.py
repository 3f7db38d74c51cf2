"""The catalog's version token and the products cached under it.

The version is replaced on commit of any product change, so caches that embed product details
(a product for sale, a user's inventory) know they are stale without a key scan.
"""

from django.conf import settings
from django.db import transaction

from economy.common import cache as safe_cache

VERSION_KEY = "catalog:version"


def bump_version_on_commit():
    transaction.on_commit(lambda: safe_cache.safe_set(VERSION_KEY, safe_cache.new_token(), None))


def _product_key(product_id):
    return f"catalog:product:{product_id}"


def product_keys(product_id):
    """What a read of the product reads from the cache, to read it ahead."""
    return safe_cache.versioned_keys(_product_key(product_id), (VERSION_KEY,))


def get_or_build_product(product_id, build):
    """A product as `build()` returns it, cached until the next catalog change commits."""
    return safe_cache.versioned_get_or_build(
        _product_key(product_id), (VERSION_KEY,), build, settings.ECONOMY_PRODUCT_CACHE_TTL
    )
