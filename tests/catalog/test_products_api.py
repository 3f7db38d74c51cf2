import pytest

from tests.factories import CurrencyFactory, PermanentProductFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_products_lists_only_active_ones(player_client):
    active = ProductFactory()
    ProductFactory(is_active=False)
    # A product of a retired currency cannot be bought: it is not listed either.
    ProductFactory(price_currency=CurrencyFactory(code="tokens", is_active=False))
    body = player_client.get("/api/v1/products").json()
    assert [p["id"] for p in body["results"]] == [active.pk]
    assert body["count"] == 1


def test_products_filter_by_type(player_client):
    ProductFactory()
    permanent = PermanentProductFactory()
    body = player_client.get("/api/v1/products?type=permanent").json()
    assert [p["id"] for p in body["results"]] == [permanent.pk]


def test_an_unknown_type_filter_is_400(player_client):
    response = player_client.get("/api/v1/products?type=subscription")
    assert response.status_code == 400
    assert "type" in response.json()["error"]["details"]


def test_products_are_paginated(player_client):
    ProductFactory.create_batch(25)
    first = player_client.get("/api/v1/products").json()
    assert first["count"] == 25 and len(first["results"]) == 20
    second = player_client.get(first["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None
    small = player_client.get("/api/v1/products?page_size=10&page=3").json()
    assert len(small["results"]) == 5


def test_a_page_past_the_end_is_404(player_client):
    ProductFactory()
    assert player_client.get("/api/v1/products?page=9").status_code == 404


def test_product_detail_and_inactive_product_is_404(player_client):
    product = ProductFactory(name="Буст на день", price=100)
    body = player_client.get(f"/api/v1/products/{product.pk}").json()
    assert set(body) == {
        "id",
        "name",
        "description",
        "price",
        "currency",
        "type",
        "is_active",
        "is_giftable",
        "duration_seconds",
        "available_from",
        "available_until",
        "grants",
        "purchase_limit",
        "created_at",
        "updated_at",
    }
    assert (body["name"], body["price"], body["currency"], body["type"]) == (
        "Буст на день",
        100,
        "coins",
        "consumable",
    )
    hidden = ProductFactory(is_active=False)
    assert player_client.get(f"/api/v1/products/{hidden.pk}").status_code == 404


def test_products_show_the_currency_of_their_price(player_client):
    gems = CurrencyFactory(code="gems")
    in_coins, in_gems = ProductFactory(), ProductFactory(price_currency=gems)
    body = player_client.get("/api/v1/products").json()
    assert {p["id"]: p["currency"] for p in body["results"]} == {
        in_coins.pk: "coins",
        in_gems.pk: "gems",
    }


def test_product_list_costs_a_fixed_number_of_queries(player_client, django_assert_num_queries):
    gems = CurrencyFactory(code="gems")
    ProductFactory.create_batch(10)
    ProductFactory.create_batch(5, price_currency=gems)
    # token + its permissions (first request of the token) + count + page + the bundles'
    # currency and item grants (one query each, whatever the number of products)
    with django_assert_num_queries(6):
        player_client.get("/api/v1/products")
