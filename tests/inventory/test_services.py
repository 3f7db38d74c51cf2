"""The service layer on its own: what each function guarantees, without HTTP."""

import pytest
from django.db import transaction

from economy.catalog.models import Product
from economy.common.exceptions import (
    AlreadyOwned,
    InsufficientFunds,
    InsufficientQuantity,
    InvalidInput,
    NotConsumable,
    NotInInventory,
    ProductUnavailable,
)
from economy.inventory import selectors, services
from economy.inventory.models import InventoryItem
from economy.ledger import services as ledger
from economy.ledger.models import Kind, Status, Transaction
from economy.ledger.selectors import ledger_balance
from tests.factories import PermanentProductFactory, ProductFactory, UserFactory
from tests.support.ledger import assert_ledger_consistent

pytestmark = pytest.mark.django_db


def test_purchase_product_returns_the_row_the_units_held_and_the_balance():
    user, product = UserFactory(funds=1000), ProductFactory(price=120)
    result = services.purchase_product(user_id=user.pk, product_id=product.pk, quantity=2)
    assert (result.quantity_held, result.balance) == (2, 760)
    assert (result.transaction.amount, result.transaction.unit_price) == (240, 120)
    assert ledger_balance(user_id=user.pk) == 760
    assert_ledger_consistent()


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda u, p: None, InsufficientFunds),
        (lambda u, p: Product.objects.filter(pk=p.pk).update(is_active=False), ProductUnavailable),
    ],
)
def test_purchase_refusals_change_nothing(setup, error):
    user, product = UserFactory(funds=50), ProductFactory(price=100)
    setup(user, product)
    with pytest.raises(error):
        services.purchase_product(user_id=user.pk, product_id=product.pk)
    user.refresh_from_db()
    assert user.balance == 50
    assert not InventoryItem.objects.exists()


def test_already_owned_is_checked_before_funds():
    user, permanent = UserFactory(funds=500), PermanentProductFactory(price=500)
    services.purchase_product(user_id=user.pk, product_id=permanent.pk)
    with pytest.raises(AlreadyOwned):
        services.purchase_product(user_id=user.pk, product_id=permanent.pk)


def test_a_refusal_inside_a_callers_transaction_leaves_it_usable():
    user, product = UserFactory(funds=10), ProductFactory(price=100)
    with transaction.atomic():
        with pytest.raises(InsufficientFunds):
            services.purchase_product(user_id=user.pk, product_id=product.pk)
        # The failed row was written in the caller's transaction, which can go on.
        assert Transaction.objects.filter(status=Status.FAILED).count() == 1


def test_a_rollback_after_a_purchase_undoes_all_of_it():
    user, product = UserFactory(funds=1000), ProductFactory(price=100)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.purchase_product(user_id=user.pk, product_id=product.pk)
        raise RuntimeError("crash after the purchase, before commit")
    user.refresh_from_db()
    assert user.balance == 1000
    assert not InventoryItem.objects.exists()
    assert not Transaction.objects.filter(kind=Kind.PURCHASE).exists()


def test_use_product_refusals():
    user = UserFactory(funds=1000)
    product, permanent = ProductFactory(), PermanentProductFactory()
    with pytest.raises(NotInInventory):
        services.use_product(user_id=user.pk, product_id=product.pk)
    services.purchase_product(user_id=user.pk, product_id=product.pk)
    with pytest.raises(InsufficientQuantity):
        services.use_product(user_id=user.pk, product_id=product.pk, quantity=2)
    with pytest.raises(NotConsumable):
        services.use_product(user_id=user.pk, product_id=permanent.pk)
    with pytest.raises(InvalidInput):
        services.use_product(user_id=user.pk, product_id=product.pk, quantity=0)
    assert services.use_product(user_id=user.pk, product_id=product.pk) == 0


def test_cache_invalidation_waits_for_commit(django_capture_on_commit_callbacks):
    user, product = UserFactory(funds=1000), ProductFactory()
    selectors.inventory_for_user(user_id=user.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.purchase_product(user_id=user.pk, product_id=product.pk)
    # Not yet committed: the cache still holds the old (empty) inventory.
    assert selectors.inventory_for_user(user_id=user.pk)["consumables"] == []
    for callback in callbacks:
        callback()
    assert selectors.inventory_for_user(user_id=user.pk)["consumables"][0]["quantity"] == 1


@pytest.mark.parametrize("amount", [0, -5, 100_001, "10", 2.0, True])
def test_ledger_credit_limits(amount):
    user = UserFactory()
    with pytest.raises(InvalidInput):
        ledger.add_funds(user_id=user.pk, amount=amount)
    with pytest.raises(InvalidInput):
        ledger.grant_funds(user_id=user.pk, amount=amount, reason="x")


def test_grant_funds_requires_a_reason_and_records_who():
    user, staff = UserFactory(), UserFactory(is_staff=True)
    with pytest.raises(InvalidInput):
        ledger.grant_funds(user_id=user.pk, amount=10, reason="  ")
    change = ledger.grant_funds(user_id=user.pk, amount=10, reason="outage", staff=staff)
    assert (change.balance, change.transaction.reason, change.transaction.created_by) == (
        10,
        "outage",
        staff,
    )
