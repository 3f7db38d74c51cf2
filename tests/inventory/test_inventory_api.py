import pytest

from economy.ledger import services as ledger_services
from tests.factories import (
    CurrencyFactory,
    PermanentProductFactory,
    ProductFactory,
    UserFactory,
)
from tests.support.api import CLOSED_PORT_CACHE, buy, inventory

pytestmark = pytest.mark.django_db


def test_inventory_groups_consumables_with_quantity_and_lists_permanents(
    player, player_client, product, permanent
):
    buy(player_client, product, 2)
    buy(player_client, product, 1)
    buy(player_client, permanent)
    body = inventory(player_client, player).json()
    assert body["user_id"] == player.pk
    [consumable] = body["consumables"]
    assert consumable["quantity"] == 3
    assert consumable["product"] == {
        "id": product.pk,
        "name": "Буст на день",
        "description": product.description,
        "type": "consumable",
        "price": 100,
        "currency": "coins",
        "is_active": True,
        "duration_seconds": None,
    }
    assert consumable["active_until"] is None and body["active_effects"] == []
    [owned] = body["permanents"]
    assert owned["product"]["id"] == permanent.pk and "purchased_at" in owned


def test_inventory_of_another_player_is_403(player_client):
    other = UserFactory()
    response = inventory(player_client, other)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_staff_reads_any_inventory(staff_client, player):
    assert inventory(staff_client, player).status_code == 200


def test_staff_reading_the_inventory_of_an_unknown_user_is_404(staff_client):
    missing = UserFactory.build(pk=987654)
    response = inventory(staff_client, missing)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_item_shows_the_currency_it_is_priced_in(make_client):
    gems = CurrencyFactory(code="gems")
    player = UserFactory()
    client = make_client(player)
    ledger_services.add_funds(user_id=player.pk, amount=30, currency=gems)
    crystal = ProductFactory(price=30, price_currency=gems)
    buy(client, crystal)
    [item] = inventory(client, player).json()["consumables"]
    assert (item["product"]["id"], item["product"]["currency"]) == (crystal.pk, "gems")


def test_a_miss_costs_one_query_however_many_items_and_a_hit_costs_none(
    make_client, django_assert_num_queries
):
    player = UserFactory(funds=100_000)
    client = make_client(player)
    for product in ProductFactory.create_batch(12) + PermanentProductFactory.create_batch(6):
        buy(client, product)
    client.force_authenticate(player)  # take the token lookup out of the count
    with django_assert_num_queries(1):
        miss = inventory(client, player).json()
    assert len(miss["consumables"]) == 12 and len(miss["permanents"]) == 6
    with django_assert_num_queries(0):
        hit = inventory(client, player).json()
    assert hit == miss


# on_commit callbacks run only when a transaction really commits.
@pytest.mark.django_db(transaction=True)
def test_a_read_right_after_a_purchase_is_never_stale(player, player_client, product, permanent):
    buy(player_client, product)
    assert inventory(player_client, player).json()["permanents"] == []  # warm the cache
    buy(player_client, permanent)
    buy(player_client, product)
    body = inventory(player_client, player).json()
    assert [p["product"]["id"] for p in body["permanents"]] == [permanent.pk]
    assert body["consumables"][0]["quantity"] == 2


# on_commit callbacks run only when a transaction really commits.
@pytest.mark.django_db(transaction=True)
def test_a_read_right_after_a_use_is_never_stale(player, player_client, product):
    buy(player_client, product, 2)
    inventory(player_client, player)
    player_client.post(f"/api/v1/products/{product.pk}/use", {}, format="json")
    assert inventory(player_client, player).json()["consumables"][0]["quantity"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_refused_purchase_leaves_the_cache_valid(
    player, player_client, permanent, django_assert_num_queries
):
    buy(player_client, permanent)
    inventory(player_client, player)
    assert (
        player_client.post(
            f"/api/v1/products/{permanent.pk}/purchase", {}, format="json"
        ).status_code
        == 409
    )
    player_client.force_authenticate(player)
    with django_assert_num_queries(0):
        inventory(player_client, player)


def test_with_redis_unreachable_inventory_is_served_and_writes_succeed(
    player, player_client, product, settings
):
    settings.CACHES = CLOSED_PORT_CACHE
    buy(player_client, product, 2)
    assert inventory(player_client, player).json()["consumables"][0]["quantity"] == 2
    assert (
        player_client.post(f"/api/v1/products/{product.pk}/use", {}, format="json").status_code
        == 200
    )
    assert inventory(player_client, player).json()["consumables"][0]["quantity"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_product_change_in_the_catalog_reaches_cached_inventories(player, player_client, product):
    from economy.catalog import services as catalog

    buy(player_client, product)
    inventory(player_client, player)  # warm
    catalog.set_products_active(product_ids=[product.pk], is_active=False)
    product.refresh_from_db()
    product.name = "Буст на неделю"
    catalog.save_product(product=product)
    [item] = inventory(player_client, player).json()["consumables"]
    assert (item["product"]["name"], item["product"]["is_active"]) == ("Буст на неделю", False)
