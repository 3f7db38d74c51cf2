"""Redis goes away mid-run: every read still answers from the database, writes still succeed,
readiness says the cache is down, and when Redis is back no stale inventory is served.

Each test starts its own redis-server on a spare port and points the cache at it with the
options config/settings/base.py uses (django-redis, IGNORE_EXCEPTIONS, short socket timeouts).
"""

import time

import pytest
from django.core.cache import cache

from economy.inventory import cache as inventory_cache
from tests.helpers import assert_ledger_consistent

from .support import RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# A request with Redis gone must not wait on it for long: connect/socket timeouts are short.
MAX_SECONDS_PER_REQUEST = 2.0


@pytest.fixture
def redis_server(settings, tmp_path):
    server = RedisServer(data_dir=tmp_path)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "reliability",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    settings.RATELIMIT_ENABLE = False
    try:
        yield server
    finally:
        server.kill()


def timed(call, *args, **kwargs):
    started = time.monotonic()
    response = call(*args, **kwargs)
    elapsed = time.monotonic() - started
    assert elapsed < MAX_SECONDS_PER_REQUEST, f"{args[0]} took {elapsed:.2f}s with Redis down"
    return response


def inventory_quantity(client, user, product):
    response = timed(client.get, f"/api/v1/users/{user.pk}/inventory")
    assert response.status_code == 200, response.content
    held = {item["product"]["id"]: item["quantity"] for item in response.json()["consumables"]}
    return held.get(product.pk, 0)


def buy(client, product, quantity=1):
    response = timed(
        client.post,
        f"/api/v1/products/{product.pk}/purchase",
        {"quantity": quantity},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response


def test_reads_and_writes_survive_redis_dying_and_nothing_stale_after_restart(
    redis_server, player, player_client, backend_client, product, django_assert_max_num_queries
):
    buy(player_client, product, 2)
    assert inventory_quantity(player_client, player, product) == 2
    # Warm: the second read is a cache hit (at most the token lookup touches the database).
    with django_assert_max_num_queries(1):
        assert inventory_quantity(player_client, player, product) == 2

    redis_server.kill()

    ready = timed(player_client.get, "/api/v1/health/ready")
    assert ready.status_code == 503
    assert ready.json()["components"] == {"database": "ok", "cache": "down"}
    # Writes: purchase, use, top-up.
    buy(player_client, product, 3)
    used = timed(
        player_client.post, f"/api/v1/products/{product.pk}/use", {"quantity": 1}, format="json"
    )
    assert used.status_code == 200, used.content
    topped_up = timed(
        backend_client.post,
        f"/api/v1/users/{player.pk}/add-funds",
        {"amount": 50},
        format="json",
        HTTP_IDEMPOTENCY_KEY="outage-top-up",
    )
    assert topped_up.status_code == 201, topped_up.content
    # Reads answer from the database, and see those writes.
    assert inventory_quantity(player_client, player, product) == 4
    me = timed(player_client.get, "/api/v1/users/me")
    assert me.status_code == 200 and me.json()["balance"] == 1000 - 500 + 50
    assert timed(player_client.get, "/api/v1/products").status_code == 200
    assert timed(player_client.get, "/api/v1/analytics/popular-products").status_code == 200
    assert timed(player_client.get, f"/api/v1/users/{player.pk}/transactions").status_code == 200

    redis_server.start()  # same port, empty

    assert timed(player_client.get, "/api/v1/health/ready").status_code == 200
    assert inventory_quantity(player_client, player, product) == 4
    buy(player_client, product, 1)
    assert inventory_quantity(player_client, player, product) == 5
    assert_ledger_consistent()


def test_a_write_while_redis_was_unreachable_is_not_lost_when_redis_comes_back_empty(
    redis_server, player, player_client, product
):
    """The common restart: Redis loses its memory. Whatever was written meanwhile shows."""
    assert inventory_quantity(player_client, player, product) == 0
    redis_server.kill()
    buy(player_client, product, 2)
    redis_server.start()
    assert inventory_quantity(player_client, player, product) == 2


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=(
        "Known limitation of the cache design: an invalidation lost while Redis was "
        "unreachable is not replayed, so if Redis comes back with its old data (restarted from "
        "a snapshot taken before the outage, a replica with the old keys promoted) the old "
        "inventory entry is served until its TTL (ECONOMY_INVENTORY_CACHE_TTL, 5 min), the "
        "user's next inventory change or the daily reset. Pinned down by "
        "test_stale_entry_after_redis_returns_with_old_data_is_bounded."
    ),
)
def test_no_stale_inventory_when_redis_comes_back_with_its_old_data(
    redis_server, player, player_client, product
):
    buy(player_client, product, 1)
    assert inventory_quantity(player_client, player, product) == 1  # cached
    redis_server.snapshot()
    redis_server.kill()
    buy(player_client, product, 2)  # its invalidation cannot reach Redis
    redis_server.start()  # loads the snapshot: the old entry and the old version token
    assert inventory_quantity(player_client, player, product) == 3


def test_stale_entry_after_redis_returns_with_old_data_is_bounded(
    redis_server, settings, player, player_client, product
):
    """What the limitation above costs: at most one TTL of staleness, ended early by the
    user's next inventory change or the global generation reset. Balances are never cached:
    only the inventory view can lag."""
    buy(player_client, product, 1)
    assert inventory_quantity(player_client, player, product) == 1
    redis_server.snapshot()
    redis_server.kill()
    buy(player_client, product, 2)
    redis_server.start()

    entry_key = cache.make_key(f"inventory:v1:{player.pk}")
    ttl = cache.client.get_client().ttl(entry_key)
    assert 0 < ttl <= settings.ECONOMY_INVENTORY_CACHE_TTL
    assert inventory_quantity(player_client, player, product) == 1  # stale: the old entry
    assert player_client.get("/api/v1/users/me").json()["balance"] == 1000 - 300

    inventory_cache.reset_all()
    assert inventory_quantity(player_client, player, product) == 3
    buy(player_client, product, 1)
    assert inventory_quantity(player_client, player, product) == 4
