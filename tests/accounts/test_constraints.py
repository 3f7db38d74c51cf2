"""The contract's invariants are held by the database itself, not only by Python."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from economy.accounts.models import User
from economy.catalog.models import Product
from economy.inventory.models import InventoryItem
from economy.inventory.services import purchase_product
from economy.ledger.models import Kind, Status, SystemWallet, Transaction, Wallet
from economy.ledger.services import system_wallet
from tests.factories import ProductFactory, UserFactory, default_currency
from tests.support.ledger import balance_of

pytestmark = pytest.mark.django_db


def _violates(fn, constraint=None):
    """fn() is refused by the database: by the named constraint when one is given."""
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        fn()
    if constraint is not None:
        assert constraint in str(refused.value), refused.value


def test_a_user_row_holds_no_money_of_its_own():
    """A player's money lives in its wallets only (tests/ledger/test_invariants.py holds their
    invariants): no column of the user could be set to a balance behind the ledger's back."""
    with connection.cursor() as cursor:
        columns = {
            column.name
            for column in connection.introspection.get_table_description(
                cursor, User._meta.db_table
            )
        }
    assert {"id", "username", "email"} <= columns
    assert not {"balance", "held", "available"} & columns


def test_database_rejects_a_zero_or_negative_price():
    product = ProductFactory()
    _violates(lambda: Product.objects.filter(pk=product.pk).update(price=0))
    _violates(lambda: ProductFactory(price=0))


def test_database_rejects_an_unknown_product_type():
    _violates(lambda: ProductFactory(type="subscription"))


def test_database_rejects_a_second_inventory_row_for_the_same_user_and_product():
    user, product = UserFactory(), ProductFactory()
    InventoryItem.objects.create(user=user, product=product, quantity=1)
    _violates(lambda: InventoryItem.objects.create(user=user, product=product, quantity=1))


def test_database_rejects_a_negative_inventory_quantity():
    item = InventoryItem.objects.create(user=UserFactory(), product=ProductFactory(), quantity=1)
    _violates(lambda: InventoryItem.objects.filter(pk=item.pk).update(quantity=F("quantity") - 2))


def _wallets(user):
    """The player's wallet in the default currency and the system wallets rows move between."""
    currency = default_currency()
    player = Wallet.objects.get_or_create(owner=user, currency=currency)[0]
    return (
        player,
        system_wallet(SystemWallet.DEPOSITS, currency),
        system_wallet(SystemWallet.STORE, currency),
    )


def test_database_rejects_a_zero_amount_in_the_ledger():
    user = UserFactory(funds=100)  # so no wallet check trips before the amount's
    player, deposits, _ = _wallets(user)
    deposit = {"currency": player.currency, "debit_wallet": deposits, "credit_wallet": player}
    _violates(
        lambda: Transaction.objects.create(user=user, kind=Kind.DEPOSIT, amount=0, **deposit),
        "txn_amount_gt_0",
    )
    _violates(
        lambda: Transaction.objects.create(user=user, kind=Kind.DEPOSIT, amount=-5, **deposit),
        "txn_amount_gt_0",
    )
    assert balance_of(user) == 100


def test_database_rejects_a_purchase_whose_amount_is_not_quantity_times_price():
    user, product = UserFactory(funds=1000), ProductFactory()
    player, _, store = _wallets(user)
    _violates(
        lambda: Transaction.objects.create(
            user=user,
            currency=player.currency,
            debit_wallet=player,
            credit_wallet=store,
            product=product,
            kind=Kind.PURCHASE,
            amount=150,
            quantity=2,
            unit_price=100,
        ),
        "txn_purchase_priced",
    )
    assert balance_of(user) == 1000


def test_database_rejects_a_second_completed_refund_of_one_purchase():
    user, product = UserFactory(funds=1000), ProductFactory(price=100)
    purchase = purchase_product(user_id=user.pk, product_id=product.pk).transaction
    player, _, store = _wallets(user)
    refund = {
        "user": user,
        "currency": player.currency,
        "debit_wallet": store,
        "credit_wallet": player,
        "product": product,
        "kind": Kind.REFUND,
        "amount": 100,
        "quantity": 1,
        "unit_price": 100,
        "refund_of": purchase,
    }
    Transaction.objects.create(**refund)
    _violates(lambda: Transaction.objects.create(**refund), "txn_one_refund_per_purchase")
    # A failed attempt is no refund: it may sit beside the completed one.
    Transaction.objects.create(**refund, status=Status.FAILED)
    assert balance_of(user) == 1000  # paid once, refunded once


def test_database_rejects_an_email_differing_only_in_case():
    UserFactory(username="a", email="Player@Example.com")
    _violates(lambda: UserFactory(username="b", email="player@example.COM"))


def test_database_rejects_a_price_above_the_maximum():
    from economy.catalog.models import MAX_PRICE

    ProductFactory(price=MAX_PRICE)
    _violates(lambda: ProductFactory(price=MAX_PRICE + 1))
