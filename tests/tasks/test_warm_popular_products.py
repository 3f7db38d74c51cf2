"""The hourly task that recomputes and caches the default popular products."""

import pytest
from django.core.cache import caches

from economy.inventory.services import purchase_product
from economy.ledger.tasks import warm_popular_products
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/popular-products"


def test_after_the_warm_up_players_are_served_without_the_aggregate(
    player_client, django_assert_num_queries
):
    product = ProductFactory(price=10)
    buyer = UserFactory(funds=100)
    purchase_product(user_id=buyer.pk, product_id=product.pk)

    assert warm_popular_products.delay().get() == 1

    with django_assert_num_queries(2):  # the token lookup and its permissions only
        body = player_client.get(URL).json()
    assert [r["product_id"] for r in body["results"]] == [product.pk]


def test_the_warm_up_replaces_stale_figures(player_client):
    first, second = ProductFactory.create_batch(2, price=10)
    buyer = UserFactory(funds=1000)
    purchase_product(user_id=buyer.pk, product_id=first.pk)
    assert [r["product_id"] for r in player_client.get(URL).json()["results"]] == [first.pk]
    for _ in range(2):
        purchase_product(user_id=buyer.pk, product_id=second.pk)

    warm_popular_products.apply()
    warm_popular_products.apply()  # twice: same figures

    # A web process answers from its own copy until it expires (ECONOMY_POPULAR_PROCESS_TTL),
    # then reads the new figures.
    assert [r["product_id"] for r in player_client.get(URL).json()["results"]] == [first.pk]
    caches["process"].clear()
    results = player_client.get(URL).json()["results"]
    assert [(r["product_id"], r["purchases"]) for r in results] == [(second.pk, 2), (first.pk, 1)]
