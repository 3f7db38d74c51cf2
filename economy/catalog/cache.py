"""The catalog's version token and the catalog entries cached under it (products, currencies).

The version is replaced on commit of any catalog change, so caches that embed catalog details
(a product for sale, a user's inventory) know they are stale without a key scan.
"""

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import transaction

from economy.common import cache as safe_cache

T = TypeVar("T")

VERSION_KEY = "catalog:version"


def bump_version_on_commit() -> None:
    transaction.on_commit(lambda: safe_cache.safe_set(VERSION_KEY, safe_cache.new_token(), None))


def get_or_build(name: str, build: Callable[[], T]) -> T:
    """The catalog entry `name` as `build()` returns it, cached until the next catalog change
    commits (at most ECONOMY_PRODUCT_CACHE_TTL seconds)."""
    return safe_cache.versioned_get_or_build(
        f"catalog:{name}", (VERSION_KEY,), build, settings.ECONOMY_PRODUCT_CACHE_TTL
    )
