import pytest
from django.core.management.base import CommandError

from economy.inventory.models import InventoryItem
from economy.inventory.selectors import inventory_for_user
from economy.inventory.services import purchase_product
from tests.factories import ProductFactory, UserFactory
from tests.support.commands import run

pytestmark = pytest.mark.django_db


def cache_then_change_behind_its_back(user, product):
    """Fill the cache, then change the database without invalidating (as a hand fix would)."""
    purchase_product(user_id=user.pk, product_id=product.pk)
    inventory_for_user(user_id=user.pk)
    InventoryItem.objects.filter(user=user).update(quantity=7)
    assert inventory_for_user(user_id=user.pk)["consumables"][0]["quantity"] == 1  # stale


def quantity(user):
    return inventory_for_user(user_id=user.pk)["consumables"][0]["quantity"]


def test_reset_for_everyone():
    product = ProductFactory(price=1)
    alice, bob = UserFactory(funds=10), UserFactory(funds=10)
    cache_then_change_behind_its_back(alice, product)
    cache_then_change_behind_its_back(bob, product)

    assert run("reset_inventory_cache").strip() == "Inventory cache reset for every user."

    assert (quantity(alice), quantity(bob)) == (7, 7)


def test_reset_for_one_user():
    product = ProductFactory(price=1)
    alice, bob = UserFactory(username="alice", funds=10), UserFactory(funds=10)
    cache_then_change_behind_its_back(alice, product)
    cache_then_change_behind_its_back(bob, product)

    out = run("reset_inventory_cache", "--user", "alice")

    assert out.strip() == f"Inventory cache reset for alice (id {alice.pk})."
    assert (quantity(alice), quantity(bob)) == (7, 1)


def test_unknown_user():
    with pytest.raises(CommandError, match="No user matches 'ghost'"):
        run("reset_inventory_cache", "--user", "ghost")
