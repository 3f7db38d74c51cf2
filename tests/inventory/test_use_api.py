import pytest

from economy.inventory.models import InventoryItem
from economy.ledger.models import Transaction
from tests.factories import ProductFactory
from tests.support.api import buy
from tests.support.ledger import assert_ledger_consistent, balance_of

pytestmark = pytest.mark.django_db


def use(client, product, **body):
    return client.post(f"/api/v1/products/{product.pk}/use", body, format="json")


def test_use_decrements_quantity(player, player_client, product):
    buy(player_client, product, 3)
    response = use(player_client, product, quantity=2)
    assert response.status_code == 200
    assert response.json() == {
        "product_id": product.pk,
        "used": 2,
        "quantity_left": 1,
        "active_until": None,
    }
    assert InventoryItem.objects.get(user=player, product=product).quantity == 1
    # Using units moves no currency: the wallet keeps what the purchase left.
    assert balance_of(player) == 700
    assert Transaction.objects.filter(user=player).count() == 2  # the funds, the purchase
    assert_ledger_consistent()


def test_using_the_last_unit_leaves_zero_and_the_item_leaves_the_inventory(
    player, player_client, product
):
    buy(player_client, product)
    assert use(player_client, product).json()["quantity_left"] == 0
    assert player_client.get(f"/api/v1/users/{player.pk}/inventory").json()["consumables"] == []
    assert use(player_client, product).json()["error"]["code"] == "not_in_inventory"


def test_use_of_a_product_not_held_is_409_not_in_inventory(player_client, product):
    response = use(player_client, product)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_in_inventory"


def test_using_more_than_held_is_409_insufficient_quantity(player, player_client, product):
    buy(player_client, product, 2)
    response = use(player_client, product, quantity=3)
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "insufficient_quantity",
        "message": "The user does not hold that many units.",
        "details": {"product_id": product.pk, "held": 2, "requested": 3},
    }
    assert InventoryItem.objects.get(user=player, product=product).quantity == 2


def test_using_a_permanent_is_409_not_consumable(player_client, permanent):
    buy(player_client, permanent)
    response = use(player_client, permanent)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_consumable"


@pytest.mark.parametrize("quantity", [0, -5, "1", 2**64])
def test_bad_use_quantities_are_400(player, player_client, product, quantity):
    buy(player_client, product, 2)
    assert use(player_client, product, quantity=quantity).status_code == 400
    assert InventoryItem.objects.get(user=player, product=product).quantity == 2


def test_use_works_for_an_inactive_product_already_held(player, player_client):
    product = ProductFactory()
    buy(player_client, product)
    product.is_active = False
    product.save()
    assert use(player_client, product).status_code == 200


def test_use_of_an_unknown_product_is_404(player_client):
    assert player_client.post("/api/v1/products/999999/use", {}, format="json").status_code == 404
