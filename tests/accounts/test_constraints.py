"""The contract's invariants are held by the database itself, not only by Python."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from economy.accounts.models import User
from economy.catalog.models import Product
from economy.inventory.models import InventoryItem
from economy.ledger.models import Kind, Status, Transaction
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def _violates(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_database_rejects_a_negative_balance():
    user = UserFactory()
    _violates(lambda: User.objects.filter(pk=user.pk).update(balance=F("balance") - 1))


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


def test_database_rejects_a_zero_amount_in_the_ledger():
    user = UserFactory()
    _violates(lambda: Transaction.objects.create(user=user, kind=Kind.DEPOSIT, amount=0))


def test_database_rejects_a_purchase_whose_amount_is_not_quantity_times_price():
    user, product = UserFactory(), ProductFactory()
    _violates(
        lambda: Transaction.objects.create(
            user=user, product=product, kind=Kind.PURCHASE, amount=150, quantity=2, unit_price=100
        )
    )


def test_database_rejects_a_second_completed_refund_of_one_purchase():
    user, product = UserFactory(), ProductFactory()
    purchase = Transaction.objects.create(
        user=user, product=product, kind=Kind.PURCHASE, amount=100, quantity=1, unit_price=100
    )
    refund = {
        "user": user,
        "product": product,
        "kind": Kind.REFUND,
        "amount": 100,
        "quantity": 1,
        "unit_price": 100,
        "refund_of": purchase,
    }
    Transaction.objects.create(**refund)
    _violates(lambda: Transaction.objects.create(**refund))
    # A failed attempt is no refund: it may sit beside the completed one.
    Transaction.objects.create(**refund, status=Status.FAILED)


def test_database_rejects_an_email_differing_only_in_case():
    UserFactory(username="a", email="Player@Example.com")
    _violates(lambda: UserFactory(username="b", email="player@example.COM"))


def test_database_rejects_a_price_above_the_maximum():
    from economy.catalog.models import MAX_PRICE

    ProductFactory(price=MAX_PRICE)
    _violates(lambda: ProductFactory(price=MAX_PRICE + 1))
