"""The inventory cache: one MGET per read, a versioned entry per user, O(1) global reset.

An entry is valid only while the three tokens it was written under are current:
- the global generation, replaced once a day (or by `reset_inventory_cache`): every entry of
  every user goes stale at once, with no key scan;
- the catalog's version, replaced on commit of a product change (entries show product details);
- the user's version, replaced on commit of anything that changes the inventory.

The reader takes the tokens *before* it reads the database, so a write that commits during a
cache miss replaces the version and the entry the reader then stores is already stale: a read
after a write never sees the old inventory. Tokens are random, never reused, and no entry is
stored under a missing token, so an evicted token cannot make an old entry look valid again
(economy.common.cache.versioned_get_or_build).
"""

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import transaction

from economy.catalog.cache import VERSION_KEY as CATALOG_VERSION_KEY
from economy.common import cache as safe_cache

T = TypeVar("T")

GENERATION_KEY = "inventory:generation"


def _entry_key(user_id: int) -> str:
    # v2: entries carry when they next change by themselves (an expiry), beside the inventory.
    return f"inventory:v2:{user_id}"


def _version_key(user_id: int) -> str:
    return f"inventory:version:{user_id}"


def _tokens(user_id: int) -> tuple[str, str, str]:
    return (GENERATION_KEY, CATALOG_VERSION_KEY, _version_key(user_id))


def get_or_build(user_id: int, build: Callable[[], T]) -> T:
    """The cached inventory of a user, or `build()` stored under the tokens read beforehand."""
    return safe_cache.versioned_get_or_build(
        _entry_key(user_id), _tokens(user_id), build, settings.ECONOMY_INVENTORY_CACHE_TTL
    )


def invalidate(user_id: int) -> None:
    """Make the user's cached inventory stale. Call it on commit, never before."""
    safe_cache.safe_set(_version_key(user_id), safe_cache.new_token(), None)


def invalidate_on_commit(user_id: int) -> None:
    """Make the user's cached inventory stale once the current transaction commits: what every
    write that changes an inventory calls, inside its transaction."""
    transaction.on_commit(lambda: invalidate(user_id))


def reset_all() -> None:
    """Make every user's cached inventory stale at once, whatever the number of users."""
    safe_cache.safe_set(GENERATION_KEY, safe_cache.new_token(), None)


# An invalidation lost while Redis was unreachable: reset everyone once it is back.
safe_cache.on_recovery(reset_all)
