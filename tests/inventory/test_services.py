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
from economy.ledger.models import Kind, Status, SystemWallet, Transaction, Wallet
from economy.ledger.selectors import wallets_with_ledger_totals
from tests.factories import PermanentProductFactory, ProductFactory, UserFactory, default_currency
from tests.support.ledger import assert_ledger_consistent, balance_of, wallet_of

pytestmark = pytest.mark.django_db


def test_purchase_product_returns_the_row_the_units_held_and_the_wallet():
    user, product = UserFactory(funds=1000), ProductFactory(price=120)
    result = services.purchase_product(user_id=user.pk, product_id=product.pk, quantity=2)
    assert (result.quantity_held, result.wallet.balance, result.wallet.available) == (2, 760, 760)
    assert result.wallet == wallet_of(user) and result.wallet.currency == default_currency()
    row = result.transaction
    assert (row.amount, row.unit_price, row.quantity, row.status) == (240, 120, 2, Status.COMPLETED)
    assert (row.debit_wallet, row.credit_wallet.name) == (result.wallet, SystemWallet.STORE)
    # What the ledger's rows say the wallet holds, not only what it stores.
    [totals] = wallets_with_ledger_totals(Wallet.objects.filter(owner=user))
    assert (totals.balance, totals.ledger_balance, totals.ledger_held) == (760, 760, 0)
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
    assert balance_of(user) == 50
    assert not InventoryItem.objects.exists()
    assert not Transaction.objects.filter(kind=Kind.PURCHASE, status=Status.COMPLETED).exists()
    assert_ledger_consistent()


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
    assert balance_of(user) == 1000
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
    assert services.use_product(user_id=user.pk, product_id=product.pk).quantity_left == 0


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
    user = UserFactory(funds=1000)
    with pytest.raises(InvalidInput):
        ledger.add_funds(user_id=user.pk, amount=amount, currency=default_currency())
    assert balance_of(user) == 1000
    assert not Transaction.objects.filter(kind=Kind.DEPOSIT).exists()


@pytest.mark.parametrize("amount", [0, 100_001, -100_001, "10", 2.0, True, None])
def test_ledger_adjustment_limits(amount):
    """An adjustment is signed (a negative one takes back), of the same size limits."""
    user = UserFactory(funds=1000)
    rows = Transaction.objects.count()
    with pytest.raises(InvalidInput):
        ledger.adjust_balance(
            user_id=user.pk, amount=amount, currency=default_currency(), reason="x"
        )
    assert balance_of(user) == 1000
    assert Transaction.objects.count() == rows


def test_adjust_balance_requires_a_reason_and_records_who():
    user, staff = UserFactory(), UserFactory(is_staff=True)
    coins = default_currency()
    with pytest.raises(InvalidInput):
        ledger.adjust_balance(user_id=user.pk, amount=10, currency=coins, reason="  ")
    assert not Transaction.objects.filter(user=user).exists()
    change = ledger.adjust_balance(
        user_id=user.pk, amount=10, currency=coins, reason="outage", staff=staff
    )
    assert (change.wallet.balance, change.transaction.reason, change.transaction.created_by) == (
        10,
        "outage",
        staff,
    )
    assert (change.transaction.kind, change.transaction.debit_wallet.name) == (
        Kind.ADJUSTMENT,
        SystemWallet.GRANTS,
    )
    assert change.transaction.credit_wallet == wallet_of(user)
    assert_ledger_consistent()
