"""Reading ahead: the token's cache entry and what the view will read come in one MGET, so an
inventory hit is one Redis round trip, and nothing read ahead outlives its request."""

import pytest
from django.core.cache import cache

from economy.common import cache as safe_cache
from tests.helpers import inventory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_inventory_hit_is_one_round_trip_and_no_sql(
    player, player_client, product, redis_commands, django_assert_num_queries
):
    player_client.post(f"/api/v1/products/{product.pk}/purchase", {}, format="json")
    first = inventory(player_client, player).json()  # cached now, and so is the token
    redis_commands.clear()
    with django_assert_num_queries(0):
        assert inventory(player_client, player).json() == first
    assert redis_commands == ["MGET"]


def test_a_purchase_reads_the_product_with_the_token(player_client, product, redis_commands):
    buy = f"/api/v1/products/{product.pk}/purchase"
    player_client.post(buy, {}, format="json")  # the token and the product cached
    redis_commands.clear()
    assert player_client.post(buy, {}, format="json").status_code == 201
    # token + product, then the inventory's invalidation (the limiter is off in the suite)
    assert redis_commands.count("MGET") == 1
    assert "GET" not in redis_commands


def test_a_read_right_after_a_purchase_is_still_never_stale(player, player_client, product):
    buy = f"/api/v1/products/{product.pk}/purchase"
    player_client.post(buy, {}, format="json")
    assert inventory(player_client, player).json()["consumables"][0]["quantity"] == 1
    player_client.post(buy, {"quantity": 2}, format="json")
    assert inventory(player_client, player).json()["consumables"][0]["quantity"] == 3


def test_what_a_refused_request_read_ahead_is_dropped_with_it(player_client, staff):
    assert inventory(player_client, staff).status_code == 403  # read ahead, never used
    assert safe_cache._read_ahead.get() is None


def test_a_value_read_ahead_answers_one_later_read_only(redis_commands):
    cache.set_many({"a": 1, "b": 2, "c": 3})
    redis_commands.clear()
    assert safe_cache.safe_get_many(["a"], ahead=("b", "c"))["a"] == 1
    assert safe_cache.safe_get_many(["b", "c"]) == {"b": 2, "c": 3}
    assert redis_commands == ["MGET"]
    cache.set("b", 20)
    assert safe_cache.safe_get_many(["b", "c"]) == {"b": 20, "c": 3}  # from Redis again
    safe_cache.forget_read_ahead()
