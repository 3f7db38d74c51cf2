"""Cache helpers that never raise: a cache outage costs a database read, never a request.

They also remember, per process, that a write could not reach the cache (an invalidation
lost while Redis was unreachable). At the next cache operation that succeeds, the hooks
registered with `on_recovery` run first (the inventory cache replaces its generation token),
so a Redis that comes back with its old data (a restart from a snapshot, a promoted replica)
cannot serve what that lost write should have made stale.
"""

import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.core.cache import cache

logger = logging.getLogger("economy.cache")

T = TypeVar("T")

_recovery_hooks: list[Callable[[], None]] = []
_writes_lost = False


def on_recovery(hook: Callable[[], None]) -> None:
    """Run `hook()` once the cache answers again after this process lost a write to it."""
    if hook not in _recovery_hooks:
        _recovery_hooks.append(hook)


def _lost_a_write(operation: str) -> None:
    global _writes_lost
    _writes_lost = True
    logger.warning(
        "cache %s failed; it will be reset when the cache answers", operation, exc_info=True
    )


def _answered() -> bool:
    """Called after each cache operation that succeeded. True when it ran the recovery hooks:
    then what a read just returned predates them, and the read is made again."""
    global _writes_lost
    if not _writes_lost:
        return False
    _writes_lost = False
    logger.warning("cache answers again: resetting what a lost write may have left stale")
    for hook in _recovery_hooks:
        hook()
    return True


def safe_get_many(keys: Sequence[str]) -> dict[str, Any]:
    """The values of `keys` found in the cache ({} when it cannot answer)."""
    try:
        found = cache.get_many(keys)
        if _answered():
            found = cache.get_many(keys)
    except Exception:
        logger.warning("cache read failed; answering from the database", exc_info=True)
        return {}
    return found


def safe_get(key: str, default: Any = None) -> Any:
    try:
        value = cache.get(key, default)
        if _answered():
            value = cache.get(key, default)
    except Exception:
        logger.warning("cache read failed; answering from the database", exc_info=True)
        return default
    return value


def safe_set(key: str, value: Any, timeout: float | None) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:
        _lost_a_write("write")
        return
    _answered()


def safe_add(key: str, value: Any, timeout: float | None) -> bool:
    """Store `value` unless the key exists (SET NX). False when it did, or the cache is down."""
    try:
        added = cache.add(key, value, timeout)
    except Exception:
        logger.warning("cache write failed", exc_info=True)
        return False
    _answered()
    return added


def new_token() -> str:
    """A version token: random, never reused, so no old entry can match a new token."""
    return uuid.uuid4().hex[:12]


def versioned_get_or_build(
    entry_key: str, token_keys: Sequence[str], build: Callable[[], T], timeout: float | None
) -> T:
    """The value cached under `entry_key`, valid only while the version tokens it was built
    under (the values of `token_keys`) are still current; else `build()`, stored.

    One MGET reads the tokens and the entry. On a miss the tokens are read *before* build()
    reads the database, so a write that commits meanwhile (and replaces a token on commit)
    leaves the stored entry already stale: a read after a write never sees the old value.
    A token missing from the cache (never set, or evicted) is created first (SET NX); the
    entry is stored only under tokens known to be current, never under a missing one, which
    would make it look valid again whenever that token went missing later.
    """
    found = safe_get_many([*token_keys, entry_key])
    tokens = [found.get(key) for key in token_keys]
    entry = found.get(entry_key)
    if entry is not None and None not in tokens and entry[0] == tuple(tokens):
        return entry[1]
    storable = True
    for i, key in enumerate(token_keys):
        if tokens[i] is None:
            tokens[i] = new_token()
            # Lost a race to another reader or writer (or the cache is down): its token,
            # not ours, is current, so this entry is not stored.
            storable = safe_add(key, tokens[i], None) and storable
    value = build()
    if storable:
        safe_set(entry_key, (tuple(tokens), value), timeout)
    return value


def safe_delete(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        _lost_a_write("delete")
        return
    _answered()


def ping() -> bool:
    """True when a value written to the cache reads back. Used by readiness only."""
    probe = "health:probe"
    try:
        cache.set(probe, "ok", 5)
        return cache.get(probe) == "ok"
    except Exception:
        return False
