"""Cache helpers that never raise: a cache outage costs a database read, never a request.

They also remember, per process, that a write could not reach the cache (an invalidation
lost while Redis was unreachable). At the next cache operation that succeeds, the hooks
registered with `on_recovery` run first (the inventory cache replaces its generation token),
so a Redis that comes back with its old data (a restart from a snapshot, a promoted replica)
cannot serve what that lost write should have made stale.
"""

import logging

from django.core.cache import cache

logger = logging.getLogger("economy.cache")

_recovery_hooks = []
_writes_lost = False


def on_recovery(hook):
    """Run `hook()` once the cache answers again after this process lost a write to it."""
    if hook not in _recovery_hooks:
        _recovery_hooks.append(hook)


def _lost_a_write(operation):
    global _writes_lost
    _writes_lost = True
    logger.warning(
        "cache %s failed; it will be reset when the cache answers", operation, exc_info=True
    )


def _answered():
    global _writes_lost
    if _writes_lost:
        _writes_lost = False
        logger.warning("cache answers again: resetting what a lost write may have left stale")
        for hook in _recovery_hooks:
            hook()


def safe_get_many(keys):
    try:
        found = cache.get_many(keys)
    except Exception:
        logger.warning("cache read failed; answering from the database", exc_info=True)
        return {}
    _answered()
    return found


def safe_get(key, default=None):
    try:
        value = cache.get(key, default)
    except Exception:
        logger.warning("cache read failed; answering from the database", exc_info=True)
        return default
    _answered()
    return value


def safe_set(key, value, timeout):
    try:
        cache.set(key, value, timeout)
    except Exception:
        _lost_a_write("write")
        return
    _answered()


def safe_delete(key):
    try:
        cache.delete(key)
    except Exception:
        _lost_a_write("delete")
        return
    _answered()


def ping():
    """True when a value written to the cache reads back. Used by readiness only."""
    probe = "health:probe"
    try:
        cache.set(probe, "ok", 5)
        return cache.get(probe) == "ok"
    except Exception:
        return False
