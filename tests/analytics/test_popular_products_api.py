"""GET /api/v1/analytics/popular-products: ranking, ties, window, validation, caching."""

from datetime import timedelta

import pytest
from django.core.cache import cache, caches
from django.utils import timezone

from economy.inventory.services import purchase_product
from economy.ledger import analytics
from economy.ledger import services as ledger
from economy.ledger.models import Status
from tests.factories import CurrencyFactory, PermanentProductFactory, ProductFactory, UserFactory
from tests.support.api import CLOSED_PORT_CACHE
from tests.support.ledger import assert_ledger_consistent, backdated_purchase, wallet_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/popular-products"


@pytest.fixture
def buyer(db):
    return UserFactory(funds=100_000)


def buy(user, product, quantity=1, days_ago=0):
    """A real purchase through the service; or, `days_ago` days back, its ledger row written
    with that date (rows are append-only: a row is dated when written, never moved later)."""
    if days_ago:
        when = timezone.now() - timedelta(days=days_ago)
        return backdated_purchase(user, product, when, quantity=quantity)
    return purchase_product(user_id=user.pk, product_id=product.pk, quantity=quantity).transaction


def ranking(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_products_are_ranked_by_completed_purchases(player_client, buyer):
    first, second, third = ProductFactory.create_batch(3, price=10)
    for _ in range(3):
        buy(buyer, second)
    for _ in range(2):
        buy(buyer, third)
    buy(buyer, first)
    body = ranking(player_client)
    assert body["days"] == 7 and body["limit"] == 5
    assert [row["product_id"] for row in body["results"]] == [second.pk, third.pk, first.pk]
    assert body["results"][0] == {
        "product_id": second.pk,
        "name": second.name,
        "type": "consumable",
        "purchases": 3,
        "units": 3,
    }
    assert_ledger_consistent()


def test_ties_are_broken_by_units_then_by_product_id(player_client, buyer):
    a, b, c = ProductFactory.create_batch(3, price=10)
    # Two purchases each; b bought more units; a and c tie on both: lower id first.
    for product, quantities in ((a, (1, 1)), (b, (2, 3)), (c, (1, 1))):
        for quantity in quantities:
            buy(buyer, product, quantity)
    results = ranking(player_client)["results"]
    assert [(r["product_id"], r["purchases"], r["units"]) for r in results] == [
        (b.pk, 2, 5),
        (a.pk, 2, 2),
        (c.pk, 2, 2),
    ]


def test_only_completed_purchases_inside_the_window_count(player_client, buyer):
    recent, old = ProductFactory.create_batch(2, price=10)
    buy(buyer, recent, days_ago=6)
    buy(buyer, old, days_ago=8)
    buy(buyer, old, days_ago=8)
    failed = ledger.record_failed_purchase(
        wallet=wallet_of(buyer), product=recent, quantity=1, failure="insufficient_funds"
    )
    assert failed.status == Status.FAILED
    assert [r["product_id"] for r in ranking(player_client)["results"]] == [recent.pk]
    assert ranking(player_client)["results"][0]["purchases"] == 1
    assert [r["product_id"] for r in ranking(player_client, days=9)["results"]] == [
        old.pk,
        recent.pk,
    ]


def test_purchases_in_every_currency_count(player_client, buyer):
    gems = CurrencyFactory(code="gems", initial_grant=100)
    in_gems, in_coins = ProductFactory(price=10, price_currency=gems), ProductFactory(price=10)
    for product in (in_gems, in_gems, in_coins):
        buy(buyer, product)
    results = ranking(player_client)["results"]
    assert [(r["product_id"], r["purchases"]) for r in results] == [
        (in_gems.pk, 2),
        (in_coins.pk, 1),
    ]
    assert_ledger_consistent()


def test_limit_caps_the_list_and_inactive_products_are_left_out(player_client, buyer):
    products = ProductFactory.create_batch(4, price=10)
    permanent = PermanentProductFactory(price=10)
    for count, product in enumerate(products, start=1):
        for _ in range(count):
            buy(buyer, product)
    buy(buyer, permanent)
    products[3].is_active = False
    products[3].save()
    results = ranking(player_client, limit=2)["results"]
    assert [r["product_id"] for r in results] == [products[2].pk, products[1].pk]
    everything = ranking(player_client, limit=50)["results"]
    assert products[3].pk not in {r["product_id"] for r in everything}
    assert {"type": "permanent", "product_id": permanent.pk}.items() <= everything[-1].items()


def test_no_purchases_gives_an_empty_list(player_client):
    assert ranking(player_client)["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": 91}, "days"),
        ({"days": "week"}, "days"),
        ({"days": "7.5"}, "days"),
        ({"limit": 0}, "limit"),
        ({"limit": 51}, "limit"),
        ({"limit": "-1"}, "limit"),
    ],
)
def test_out_of_range_parameters_are_a_400_in_the_contract_shape(player_client, params, field):
    response = player_client.get(URL, params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {field}


def test_bounds_are_accepted(player_client):
    assert ranking(player_client, days=1, limit=1)["days"] == 1
    assert ranking(player_client, days=90, limit=50)["limit"] == 50


def test_anonymous_callers_get_401(api_client):
    response = api_client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_second_call_is_served_from_the_cache_without_sql(
    player, player_client, buyer, django_assert_num_queries
):
    product = ProductFactory(price=10)
    buy(buyer, product)
    first = ranking(player_client)
    # No query at all: the token's user and the figures both come from the cache.
    with django_assert_num_queries(0):
        second = ranking(player_client)
    assert second == first


def test_cache_entries_are_per_days_and_limit_and_last_an_hour(
    player_client, buyer, django_assert_num_queries, settings
):
    a, b = ProductFactory.create_batch(2, price=10)
    buy(buyer, a)
    buy(buyer, b, days_ago=10)
    assert len(ranking(player_client)["results"]) == 1
    buy(buyer, b)
    buy(buyer, b)
    # Cached: the new purchases are not seen for this (days, limit) for up to an hour...
    assert [r["product_id"] for r in ranking(player_client)["results"]] == [a.pk]
    # ...while another (days, limit) pair is computed afresh (the aggregate; the token's user
    # is cached by now).
    with django_assert_num_queries(1):
        fresh = ranking(player_client, days=30)["results"]
    assert [(r["product_id"], r["purchases"]) for r in fresh] == [(b.pk, 3), (a.pk, 1)]
    assert settings.ECONOMY_POPULAR_CACHE_TTL == 3600


def test_each_process_answers_from_its_own_copy_for_a_while(
    player_client, buyer, django_assert_num_queries, settings
):
    product = ProductFactory(price=10)
    buy(buyer, product)
    first = ranking(player_client)
    cache.delete(analytics._cache_key(analytics.DEFAULT_DAYS, analytics.DEFAULT_LIMIT))
    buy(buyer, product)
    # Redis holds the figures no more: this process's copy answers, with no query either.
    with django_assert_num_queries(0):
        assert ranking(player_client) == first
    # Once its copy has expired, the figures are computed again and both tiers refilled.
    caches["process"].clear()
    with django_assert_num_queries(1):
        assert ranking(player_client)["results"][0]["purchases"] == 2
    with django_assert_num_queries(0):
        assert ranking(player_client)["results"][0]["purchases"] == 2
    assert cache.get(analytics._cache_key(analytics.DEFAULT_DAYS, analytics.DEFAULT_LIMIT))
    assert settings.ECONOMY_POPULAR_PROCESS_TTL == 30


def test_the_aggregate_is_one_query(player_client, buyer, django_assert_num_queries):
    for product in ProductFactory.create_batch(5, price=10):
        buy(buyer, product)
    with django_assert_num_queries(3):  # token, its permissions, aggregate
        assert len(ranking(player_client, limit=5)["results"]) == 5


def test_redis_down_still_answers_from_the_database(player_client, buyer, settings):
    product = ProductFactory(price=10)
    buy(buyer, product)
    settings.CACHES = CLOSED_PORT_CACHE
    assert [r["product_id"] for r in ranking(player_client)["results"]] == [product.pk]
