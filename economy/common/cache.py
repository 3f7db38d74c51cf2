"""Cache helpers that never raise: a cache outage costs a database read, never a request."""

import logging

from django.core.cache import cache

logger = logging.getLogger("economy.cache")


def safe_get_many(keys):
    try:
        return cache.get_many(keys)
    except Exception:
        logger.warning("cache read failed; answering from the database", exc_info=True)
        return {}


def safe_get(key, default=None):
    try:
        return cache.get(key, default)
    except Exception:
        logger.warning("cache read failed; answering from the database", exc_info=True)
        return default


def safe_set(key, value, timeout):
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("cache write failed", exc_info=True)


def safe_delete(key):
    try:
        cache.delete(key)
    except Exception:
        logger.warning("cache delete failed; entry expires with its TTL", exc_info=True)


def safe_incr(key, initial=1):
    """Increment a counter that must survive being absent (evicted, or a fresh Redis)."""
    try:
        if cache.add(key, initial, timeout=None):
            return initial
        return cache.incr(key)
    except ValueError:
        # Evicted between add and incr.
        cache.set(key, initial, timeout=None)
        return initial
    except Exception:
        logger.warning("cache increment failed", exc_info=True)
        return None


def ping():
    """True when a value written to the cache reads back. Used by readiness only."""
    probe = "health:probe"
    try:
        cache.set(probe, "ok", 5)
        return cache.get(probe) == "ok"
    except Exception:
        return False
