"""Rate limits (django-ratelimit) on the write paths and on login.

`rate_limit` decorates a DRF handler (`def post(self, request, ...)`), so it runs after DRF
has authenticated the caller and checked its permissions: key "user" counts the caller, key
"ip" the client address. Counters live in the default cache (Redis), one per fixed window;
the window of each caller ends at its own offset (django-ratelimit's jitter), and the 429
says honestly how many seconds are left of it in `Retry-After`.

The limiter fails open: when the cache cannot count (Redis down), the request goes through.
A Redis outage must cost rate limiting, never the players' purchases.
"""

import functools
import ipaddress
import logging

from django.conf import settings
from django_ratelimit.core import get_usage
from django_ratelimit.exceptions import Ratelimited
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


def _rate(setting):
    # Read at request time, so an environment or a test can change the rate.
    return lambda group, request: getattr(settings, setting)


def rate_limit(*, group, key, rate_setting):
    """Refuse the call with 429 `rate_limited` once `key` has used the rate in
    settings.<rate_setting> ("60/m") for `group`. `key`: "user", "ip" or a callable
    (group, request) -> str."""

    def decorator(handler):
        @functools.wraps(handler)
        def wrapper(view, request, *args, **kwargs):
            try:
                usage = get_usage(
                    request, group=group, key=key, rate=_rate(rate_setting), increment=True
                )
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
