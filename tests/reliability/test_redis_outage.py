"""Redis goes away mid-run: every read still answers from the database, writes still succeed,
readiness says the cache is down, and when Redis is back no stale inventory is served.

Each test starts its own redis-server on a spare port and points the cache at it with the
options config/settings/base.py uses (django-redis, short socket timeouts).
"""

import pytest
from django.core.cache import cache

from economy.inventory import cache as inventory_cache
from tests.factories import UserFactory
from tests.support.api import PROCESS_CACHE, buy, client_for
from tests.support.ledger import assert_ledger_consistent
from tests.support.processes import RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_server(settings, tmp_path):
    server = RedisServer(data_dir=tmp_path)
    server.start()
    settings.CACHES = {
        "process": PROCESS_CACHE,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "reliability",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        },
    }
    settings.RATELIMIT_ENABLE = False
    try:
        yield server
    finally:
        server.kill()


def inventory_quantity(client, user, product):
    response = client.get(f"/api/v1/users/{user.pk}/inventory")
    assert response.status_code == 200, response.content
    held = {item["product"]["id"]: item["quantity"] for item in response.json()["consumables"]}
    return held.get(product.pk, 0)


def test_reads_and_writes_survive_redis_dying_and_nothing_stale_after_restart(
    redis_server, player, player_client, backend_client, product, django_assert_max_num_queries
):
    buy(player_client, product, 2)
    assert inventory_quantity(player_client, player, product) == 2
    # Warm: the second read is a cache hit (at most the token lookup touches the database).
    with django_assert_max_num_queries(1):
        assert inventory_quantity(player_client, player, product) == 2

    redis_server.kill()

    ready = player_client.get("/api/v1/health/ready")
    assert ready.status_code == 503
    assert ready.json()["components"] == {"database": "ok", "cache": "down"}
    # Writes: purchase, use, top-up, spend.
    buy(player_client, product, 3)
    used = player_client.post(f"/api/v1/products/{product.pk}/use", {"quantity": 1}, format="json")
    assert used.status_code == 200, used.content
    topped_up = backend_client.post(
        f"/api/v1/users/{player.pk}/add-funds",
        {"amount": 50},
        format="json",
        HTTP_IDEMPOTENCY_KEY="outage-top-up",
    )
    assert topped_up.status_code == 201, topped_up.content
    spent = backend_client.post(
        f"/api/v1/users/{player.pk}/spend",
        {"amount": 20},
        format="json",
        HTTP_IDEMPOTENCY_KEY="outage-fee",
    )
    assert spent.status_code == 201, spent.content
    # Reads answer from the database, and see those writes.
    assert inventory_quantity(player_client, player, product) == 4
    me = player_client.get("/api/v1/users/me")
    balance = 1000 - 500 + 50 - 20
    assert me.status_code == 200 and me.json()["balance"] == balance
    assert me.json()["balances"]["coins"] == {"balance": balance, "held": 0, "available": balance}
    assert player_client.get("/api/v1/products").status_code == 200
    assert [c["code"] for c in player_client.get("/api/v1/currencies").json()] == ["coins"]
    assert player_client.get("/api/v1/analytics/popular-products").status_code == 200
    assert player_client.get(f"/api/v1/users/{player.pk}/transactions").status_code == 200

    redis_server.start()  # same port, empty

    assert player_client.get("/api/v1/health/ready").status_code == 200
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


def test_a_write_lost_while_redis_was_down_resets_every_inventory_once_it_returns(
    redis_server, player, player_client, product
):
    """How the test above is won: the process that could not invalidate remembers it, and at
    its first cache operation that succeeds it replaces the inventory generation token. Other
    users' entries go stale with it (a miss each, once); balances are never cached."""
    other = UserFactory(funds=1000)
    other_client = client_for(other)
    buy(other_client, product, 1)
    assert inventory_quantity(other_client, other, product) == 1
    buy(player_client, product, 1)
    assert inventory_quantity(player_client, player, product) == 1
    redis_server.snapshot()
    redis_server.kill()
    buy(player_client, product, 2)
    redis_server.start()

    generation_before = cache.get(inventory_cache.GENERATION_KEY)
    assert inventory_quantity(player_client, player, product) == 3
    assert cache.get(inventory_cache.GENERATION_KEY) != generation_before
    assert inventory_quantity(other_client, other, product) == 1
    assert player_client.get("/api/v1/users/me").json()["balance"] == 1000 - 300
