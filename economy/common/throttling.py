"""Rate limits on the write paths and on login, as DRF throttles.

DRF runs a view's throttles after authentication and permissions, and answers a refusal with
`Throttled(wait)`, which the exception handler turns into 429 `rate_limited` with an honest
`Retry-After`. What DRF's own SimpleRateThrottle does not give, these add:

- the count is atomic: a fixed window per caller, counted by one INCR on Redis (a script that
  also starts the counter's expiry, in the same round trip), so N concurrent requests against a
  limit of K let exactly K through. SimpleRateThrottle reads and rewrites a list of timestamps,
  which concurrent requests overwrite;
- each caller's window ends at its own offset (a hash of its key), so budgets do not all reset
  on the same second;
- the rate is read from settings at request time (`rate_setting`), so an environment or a test
  can change it;
- the limiter fails open: when the cache cannot count (Redis down), the request goes through. A
  Redis outage must cost rate limiting, never the players' purchases.
"""

import ipaddress
import logging
import math
import re
import time
import zlib

from django.conf import settings
from django.core.cache import caches
from django_redis import get_redis_connection
from django_redis.cache import RedisCache
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

logger = logging.getLogger("economy.ratelimit")

_RATE = re.compile(r"^(?P<count>\d+)/(?P<multiple>\d*)(?P<unit>[smhd])\w*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# One more use of the window: the count so far. The counter gets its expiry on creation, in the
# same atomic step, so it can never be left without one.
_COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


def parse_rate(rate: str) -> tuple[int, int]:
    """ "60/m", "1000/h", "5/10s" -> (requests, seconds per window)."""
    match = _RATE.match(rate.strip())
    if match is None:
        raise ValueError(f"Not a rate: {rate!r} (expected e.g. 60/m, 1000/h, 5/10s).")
    seconds = int(match["multiple"] or 1) * _UNIT_SECONDS[match["unit"]]
    return int(match["count"]), seconds


def client_ip(request: Request) -> str:
    """The client address for per-IP limits.

    With ECONOMY_TRUSTED_PROXIES = N reverse proxies in front of the service, the address is
    the N-th entry of X-Forwarded-For counted from the right: the one our outermost proxy
    appended. Entries further left are the client's to invent, so they are never used.
    """
    remote: str = request.META.get("REMOTE_ADDR", "")
    hops = settings.ECONOMY_TRUSTED_PROXIES
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if hops <= 0 or not forwarded:
        return remote
    candidate = forwarded[-hops] if len(forwarded) >= hops else forwarded[0]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote
    return candidate


def _count(key: str, expires_in: int) -> int:
    """Add one use to the counter `key` and return the count, atomically."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        count_script = get_redis_connection("default").register_script(_COUNT_SCRIPT)
        return int(count_script(keys=[cache.make_key(key)], args=[expires_in]))
    # Local memory (`make run`): add() and incr() are atomic within the process.
    if cache.add(key, 1, expires_in):
        return 1
    return cache.incr(key)


class FixedWindowThrottle(BaseThrottle):
    """At most N requests per caller per window, N and the window from settings.<rate_setting>.

    Subclasses name their `scope` (each scope is its own budget) and say who the caller is in
    `caller()`.
    """

    scope: str
    rate_setting = "ECONOMY_RATE_LIMIT_WRITES"
    timer = staticmethod(time.time)

    def caller(self, request: Request, view: APIView) -> str:
        return str(request.user.pk)

    def allow_request(self, request: Request, view: APIView) -> bool:
        if not settings.RATELIMIT_ENABLE:
            return True
        limit, period = parse_rate(getattr(settings, self.rate_setting))
        ident = f"{self.scope}:{self.caller(request, view)}"
        now = self.timer()
        window_end = self._window_end(ident, now, period)
        try:
            count = _count(f"throttle:{ident}:{window_end}", period + 1)
        except APIException:
            raise
        except Exception:
            logger.warning("rate limiter unavailable; request let through", exc_info=True)
            return True
        self._wait = window_end - now
        return count <= limit

    def wait(self) -> float | None:
        return max(1, math.ceil(self._wait))

    @staticmethod
    def _window_end(ident: str, now: float, period: int) -> int:
        """The end (exclusive, in seconds) of the window `now` falls in, for this caller."""
        offset = zlib.crc32(ident.encode()) % period
        second = math.floor(now)
        return second - (second - offset) % period + period


class LoginThrottle(FixedWindowThrottle):
    """Counted per client address: password guessing is slowed whichever usernames it tries."""

    scope = "login"
    rate_setting = "ECONOMY_RATE_LIMIT_LOGIN"

    def caller(self, request: Request, view: APIView) -> str:
        return client_ip(request)
