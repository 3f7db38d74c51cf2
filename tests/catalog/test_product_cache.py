"""Purchases and uses read the product from the cache, and a product change is seen at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from economy.catalog import services as catalog
from economy.catalog.models import Product
from economy.ledger.models import Kind, Transaction
from tests.factories import CurrencyFactory, ProductFactory
from tests.support.api import purchase
from tests.support.ledger import balance_of

# A product change replaces the catalog's version on commit: only a committed change counts.
pytestmark = pytest.mark.django_db(transaction=True)


def product_queries(client, product):
    with CaptureQueriesContext(connection) as queries:
        assert purchase(client, product).status_code == 201
    return [q["sql"] for q in queries if Product._meta.db_table in q["sql"]]


def test_a_cached_product_costs_no_query(player_client, product):
    assert product_queries(player_client, product)  # the first purchase reads it...
    assert product_queries(player_client, product) == []  # ...the next ones do not


def test_a_new_price_is_charged_from_the_next_purchase(player, player_client, product):
    purchase(player_client, product)  # cached at 100
    product.price = 250
    catalog.save_product(product=product)
    response = purchase(player_client, product)
    assert response.json()["transaction"]["unit_price"] == 250
    assert [
        row.unit_price for row in Transaction.objects.filter(kind=Kind.PURCHASE).order_by("pk")
    ] == [
        100,
        250,
    ]
    assert balance_of(player) == 1000 - 100 - 250


def test_a_deactivated_product_is_refused_from_the_next_purchase(player_client, product):
    purchase(player_client, product)
    catalog.set_products_active(product_ids=[product.pk], is_active=False)
    response = purchase(player_client, product)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "product_unavailable"


def test_a_deactivated_currency_is_refused_from_the_next_purchase(player_client):
    """The cached product carries its currency: a change of the currency reaches it too."""
    gems = CurrencyFactory(code="gems", initial_grant=100)
    crystal = ProductFactory(price=10, price_currency=gems)
    assert purchase(player_client, crystal).status_code == 201  # cached, currency included
    gems.is_active = False
    catalog.save_currency(currency=gems)
    response = purchase(player_client, crystal)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "product_unavailable"


def test_a_product_moved_to_another_currency_is_charged_in_it_from_the_next_purchase(
    player, player_client, product
):
    purchase(player_client, product)  # cached in coins
    gems = CurrencyFactory(code="gems", initial_grant=500)
    product.price_currency = gems
    catalog.save_product(product=product)
    body = purchase(player_client, product).json()
    assert (body["currency"], body["balance"], body["transaction"]["currency"]) == (
        "gems",
        400,
        "gems",
    )
    assert (balance_of(player), balance_of(player, "gems")) == (900, 400)


def test_a_product_changed_to_permanent_cannot_be_used_any_more(player_client, product):
    purchase(player_client, product)
    use = f"/api/v1/products/{product.pk}/use"
    assert player_client.post(use, {}, format="json").status_code == 200
    product.type = "permanent"
    catalog.save_product(product=product)
    response = player_client.post(use, {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_consumable"


def test_an_unknown_product_is_404_and_nothing_is_cached_for_it(player_client):
    missing = ProductFactory.build(pk=987654)
    assert purchase(player_client, missing).status_code == 404
    created = ProductFactory(pk=987654, price=10)
    assert purchase(player_client, created).json()["transaction"]["unit_price"] == 10


def test_with_the_cache_off_every_purchase_reads_the_product(settings, player_client, product):
    settings.ECONOMY_PRODUCT_CACHE_TTL = 0
    purchase(player_client, product)
    assert product_queries(player_client, product)
