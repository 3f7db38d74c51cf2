"""The limiter's counter: one Redis round trip per limited request, atomic under concurrency,
always expiring with its window; and the same limits on a cache other than Redis."""

import threading

import pytest
from django.core.cache import cache
from django.db import connections
from django_redis import get_redis_connection

from tests.support.api import PROCESS_CACHE, purchase
from tests.support.ledger import balance_of

pytestmark = pytest.mark.django_db(transaction=True)

LOCAL_MEMORY_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rl"},
    "process": PROCESS_CACHE,
}


def counters():
    """The limiter's counters in Redis: {key: (count, seconds to expiry)}."""
    redis = get_redis_connection()
    keys = redis.keys(cache.make_key("throttle:*"))
    return {key: (int(redis.get(key)), redis.ttl(key)) for key in keys}


def test_a_limited_purchase_counts_in_one_round_trip(
    limiter, player_client, product, redis_commands
):
    assert purchase(player_client, product).status_code == 201  # token and product cached
    redis_commands.clear()
    assert purchase(player_client, product).status_code == 201
    # the token, the counter, the product (with its version), the inventory's invalidation
    assert redis_commands == ["GET", "EVALSHA", "MGET", "SET"]


def test_the_counter_expires_with_its_window(limiter, player_client, product):
    purchase(player_client, product)
    purchase(player_client, product)
    ((count, expires_in),) = counters().values()
    assert count == 2
    assert 0 < expires_in <= 60 + 1  # the 3/m window, and a second to spare


def test_concurrent_requests_never_get_past_the_limit(
    limiter, settings, player, product, make_client
):
    settings.ECONOMY_RATE_LIMIT_WRITES = "5/m"
    clients = [make_client(player) for _ in range(12)]
    statuses = []
    barrier = threading.Barrier(len(clients))

    def buy(client):
        try:
            barrier.wait()
            statuses.append(purchase(client, product).status_code)
        finally:
            connections.close_all()  # each thread's own connection, never left open

    threads = [threading.Thread(target=buy, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] * 5 + [429] * 7
    assert [count for count, _ in counters().values()] == [12]
    assert balance_of(player) == 1000 - 5 * product.price


def test_a_cache_other_than_redis_limits_the_same(limiter, settings, player_client, product):
    settings.CACHES = LOCAL_MEMORY_CACHE
    for _ in range(3):
        assert purchase(player_client, product).status_code == 201
    assert purchase(player_client, product).status_code == 429

    limiter.advance(60)  # the next window
    assert purchase(player_client, product).status_code == 201
