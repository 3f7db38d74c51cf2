"""The daily task that makes every user's cached inventory stale at once."""

import pytest

from economy.inventory import selectors
from economy.inventory.services import purchase_product
from economy.inventory.tasks import reset_inventory_cache
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_after_the_reset_every_users_next_inventory_read_is_a_miss(django_assert_num_queries):
    product = ProductFactory(price=10)
    users = UserFactory.create_batch(3, funds=100)
    for user in users:
        purchase_product(user_id=user.pk, product_id=product.pk, quantity=1)
        selectors.inventory_for_user(user_id=user.pk)
    for user in users:
        with django_assert_num_queries(0):  # cached
            selectors.inventory_for_user(user_id=user.pk)

    reset_inventory_cache.delay()

    for user in users:
        with django_assert_num_queries(1):  # a miss: read from the database once...
            inventory = selectors.inventory_for_user(user_id=user.pk)
        assert inventory["consumables"][0]["quantity"] == 1
        with django_assert_num_queries(0):  # ...and cached again
            selectors.inventory_for_user(user_id=user.pk)


def test_the_reset_costs_one_cache_write_whatever_the_number_of_users(monkeypatch):
    from economy.common import cache as safe_cache

    writes = []
    monkeypatch.setattr(safe_cache, "safe_set", lambda *args: writes.append(args))
    UserFactory.create_batch(5)
    reset_inventory_cache.apply()
    assert len(writes) == 1


def test_running_the_reset_twice_is_harmless(player, django_assert_num_queries):
    reset_inventory_cache.apply()
    reset_inventory_cache.apply()
    with django_assert_num_queries(1):
        assert selectors.inventory_for_user(user_id=player.pk)["consumables"] == []
