"""Rate limits (django-ratelimit) on the write paths and on login.

`rate_limit` decorates a DRF handler (`def post(self, request, ...)`), so it runs after DRF
has authenticated the caller and checked its permissions: key "user" counts the caller, key
"ip" the client address. Counters live in the default cache (Redis), one per fixed window;
the window of each caller ends at its own offset (django-ratelimit's jitter), and the 429
says honestly how many seconds are left of it in `Retry-After`.

Keys, rates and windows are django-ratelimit's own (its cache keys are unchanged). Only the
counting differs on Redis: django-ratelimit's `get_usage` sends `SET NX`, then an `INCR`
script, two round trips on every limited request; here one script increments the counter and
starts its expiry on the window's first use, in one round trip and atomically. Another cache
(local memory under `make run`) counts with `add` and `incr`, as django-ratelimit does.

The limiter fails open: when the cache cannot count (Redis down), the request goes through.
A Redis outage must cost rate limiting, never the players' purchases.
"""

import functools
import ipaddress
import logging

from django.conf import settings
from django.core.cache import caches
from django_ratelimit import ALL
from django_ratelimit import core as library
from django_ratelimit.exceptions import Ratelimited
from django_redis.cache import RedisCache
from redis.commands.core import Script
from rest_framework.exceptions import APIException

logger = logging.getLogger("economy.ratelimit")


class RateLimited(Ratelimited):
    """Ratelimited with the seconds left in the window; the exception handler answers 429."""

    def __init__(self, retry_after):
        super().__init__("Too many requests.")
        self.retry_after = retry_after


def client_ip(request):
    """The client address for per-IP limits (RATELIMIT_IP_META_KEY points here).

    With ECONOMY_TRUSTED_PROXIES = N reverse proxies in front of the service, the address is
    the N-th entry of X-Forwarded-For counted from the right: the one our outermost proxy
    appended. Entries further left are the client's to invent, so they are never used.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.ECONOMY_TRUSTED_PROXIES
    if hops <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if not forwarded:
        return remote
    candidate = forwarded[-hops] if len(forwarded) >= hops else forwarded[0]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote
    return candidate


# One more use of the window: the count so far. The counter expires with its window (plus
# django-ratelimit's fudge); it is given its expiry on creation only, in the same atomic step,
# so it can never be left without one.
_COUNT_SCRIPT = Script(
    None,
    b"""
    local count = redis.call('INCR', KEYS[1])
    if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
    return count
    """,
)


def _count(cache_key, period):
    cache = caches[settings.RATELIMIT_USE_CACHE]
    expires_in = period + library.EXPIRATION_FUDGE
    if isinstance(cache, RedisCache):
        client = cache.client.get_client(write=True)
        return _COUNT_SCRIPT(
            keys=[cache.client.make_key(cache_key)], args=[expires_in], client=client
        )
    if cache.add(cache_key, 1, expires_in):
        return 1
    return cache.incr(cache_key)


def _usage(request, *, group, key, rate_setting):
    """django-ratelimit's get_usage(increment=True) for our decorator's arguments, counted by
    `_count`: {"should_limit", "time_left"}, or None when rate limiting is off."""
    if not settings.RATELIMIT_ENABLE:
        return None
    # Read at request time, so an environment or a test can change the rate.
    rate = getattr(settings, rate_setting)
    limit, period = library._split_rate(rate)
    value = key(group, request) if callable(key) else library._SIMPLE_KEYS[key](request)
    window = library._get_window(value, period)
    count = _count(library._make_cache_key(group, window, rate, value, ALL), period)
    return {"should_limit": count > limit, "time_left": window - int(library.time.time())}


def rate_limit(*, group, key, rate_setting):
    """Refuse the call with 429 `rate_limited` once `key` has used the rate in
    settings.<rate_setting> ("60/m") for `group`. `key`: "user", "ip" or a callable
    (group, request) -> str."""

    def decorator(handler):
        @functools.wraps(handler)
        def wrapper(view, request, *args, **kwargs):
            try:
                usage = _usage(request, group=group, key=key, rate_setting=rate_setting)
            except APIException:
                raise  # the key read a malformed body: the client's error, answered as such
            except Exception:
                if not getattr(settings, "RATELIMIT_FAIL_OPEN", False):
                    raise
                logger.warning("rate limiter unavailable; request let through", exc_info=True)
                usage = None
            if usage is not None and usage["should_limit"]:
                # django-ratelimit's window still counts at its end second (time_left == 0):
                # the first second of the next window is time_left + 1 from now.
                raise RateLimited(retry_after=max(1, usage["time_left"] + 1))
            return handler(view, request, *args, **kwargs)

        return wrapper

    return decorator
