"""Read replicas: which database a read goes to.

Everything goes to the primary (`default`) unless a view opts in with `reads_from_replica` (or
code with `reads_for`): read-only work that tolerates a little lag, such as a player's history,
analytics and the admin's list pages. Even then a read goes to the primary when

- it runs inside a transaction (whatever moves money reads what it locked, on the primary);
- the player it is for wrote within ECONOMY_READ_YOUR_WRITES_SECONDS (`wrote`, called on
  commit by every change of a player's money or inventory), so nobody sees a purchase vanish;
  if the cache cannot say, the primary is assumed;
- no replica is healthy: one that does not answer, or lags more than
  ECONOMY_REPLICA_MAX_LAG_SECONDS behind, is skipped. Each process checks a replica at most
  every ECONOMY_REPLICA_CHECK_SECONDS; a replica failing during a request marks it down, and
  the view runs again on the primary.

The replicas are DATABASES["replica_<n>"], from DATABASE_REPLICA_URLS (config/settings).
"""

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections, transaction

logger = logging.getLogger("economy.replicas")

PRIMARY = "default"
_replica: ContextVar[str | None] = ContextVar("replica", default=None)
_checked: dict[str, tuple[float, str]] = {}  # alias -> (when, state), per process

F = TypeVar("F", bound=Callable[..., Any])


def aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica_")]


def _fresh_key(user_id: int) -> str:
    return f"replicas:wrote:{user_id}"


def wrote(*user_ids: int | None) -> None:
    """These players' data changed: their reads go to the primary for the window, from the
    moment the change commits."""
    window = settings.ECONOMY_READ_YOUR_WRITES_SECONDS
    if not aliases() or not window:
        return

    def mark() -> None:
        try:
            cache.set_many({_fresh_key(uid): 1 for uid in user_ids if uid is not None}, window)
        except Exception:
            logger.warning("could not mark a write for read-your-writes", exc_info=True)

    transaction.on_commit(mark)


def _wrote_recently(user_id: int | None) -> bool:
    if user_id is None:
        return False
    try:
        return cache.get(_fresh_key(user_id)) is not None
    except Exception:  # the cache cannot say: the primary is always right
        return True


def state(alias: str) -> str:
    """ "ok", "lagging" or "down": how the replica stands, checked at most every
    ECONOMY_REPLICA_CHECK_SECONDS by this process."""
    now = time.monotonic()
    checked_at, known = _checked.get(alias, (0.0, ""))
    if known and now - checked_at < settings.ECONOMY_REPLICA_CHECK_SECONDS:
        return known
    known = _check(alias)
    _checked[alias] = (now, known)
    return known


def _check(alias: str) -> str:
    try:
        with connections[alias].cursor() as cursor:
            # Caught up (nothing received is left to replay) is no lag, however old the last
            # transaction replayed is: an idle primary sends nothing new.
            cursor.execute(
                "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
                " ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END"
            )
            (lag,) = cursor.fetchone()
    except Exception:
        logger.warning("replica %s does not answer; reads go elsewhere", alias, exc_info=True)
        connections[alias].close()
        return "down"
    if lag is not None and lag > settings.ECONOMY_REPLICA_MAX_LAG_SECONDS:
        logger.warning("replica %s lags %.1f s behind; reads go elsewhere", alias, lag)
        return "lagging"
    return "ok"


def mark_down(alias: str) -> None:
    _checked[alias] = (time.monotonic(), "down")
    connections[alias].close()


def _healthy_replica() -> str | None:
    return next((alias for alias in aliases() if state(alias) == "ok"), None)


@contextmanager
def reads_for(user_id: int | None) -> Iterator[str | None]:
    """Within it, reads outside a transaction go to a healthy replica (the alias yielded), or
    to the primary (None) when the player wrote within the window or no replica is healthy."""
    alias = _healthy_replica()
    if alias is not None and _wrote_recently(user_id):
        alias = None
    token = _replica.set(alias)
    try:
        yield alias
    finally:
        _replica.reset(token)


def reads_from_replica(method: F) -> F:
    """A view method whose reads may come from a replica (see the module doc): unless the
    player it reads (its `user_id`, else the caller) wrote within the window. Read-only, so a
    replica failing mid-request is answered by running it again on the primary."""

    @functools.wraps(method)
    def wrapper(view: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        player = kwargs.get("user_id", getattr(getattr(request, "user", None), "pk", None))
        with reads_for(player) as alias:
            if alias is None:
                return method(view, request, *args, **kwargs)
            try:
                return method(view, request, *args, **kwargs)
            except DatabaseError:
                if _check(alias) == "ok":
                    raise  # the replica answers: the error is the query's own
                mark_down(alias)
        return method(view, request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class ReplicaRouter:
    """Writes, migrations and reads inside a transaction on the primary; other reads on the
    replica `reads_for` chose, if any."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        alias = _replica.get()
        if alias is None or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return alias

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replicas hold the primary's rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY
