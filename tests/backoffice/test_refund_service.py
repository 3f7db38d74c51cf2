"""economy.inventory.services.refund_purchase: policy, refusals, at most once."""

import pytest

from economy.common.exceptions import InsufficientFunds, InvalidInput, NotRefundable
from economy.inventory.models import InventoryItem
from economy.inventory.services import purchase_product, refund_purchase, use_product
from economy.ledger.models import Kind, Status, Transaction
from economy.ledger.services import add_funds
from tests.factories import (
    CurrencyFactory,
    PermanentProductFactory,
    ProductFactory,
    StaffFactory,
    UserFactory,
    default_currency,
)
from tests.support.concurrency import run_concurrently
from tests.support.ledger import assert_ledger_consistent, balance_of

pytestmark = pytest.mark.django_db


def held(user, product):
    return InventoryItem.objects.get(user=user, product=product).quantity


def balance(user):
    return balance_of(user)


def test_full_refund_of_a_consumable_gives_back_every_unit_at_the_price_paid():
    player, product, staff = UserFactory(funds=1000), ProductFactory(price=100), StaffFactory()
    purchase = purchase_product(user_id=player.pk, product_id=product.pk, quantity=3).transaction

    refund = refund_purchase(transaction_id=purchase.pk, reason="Bought by mistake", staff=staff)

    assert (refund.kind, refund.status) == (Kind.REFUND, Status.COMPLETED)
    assert (refund.currency, refund.debit_wallet.name, refund.credit_wallet.owner) == (
        product.price_currency,
        "sink:store",
        player,
    )
    assert (refund.quantity, refund.unit_price, refund.amount) == (3, 100, 300)
    assert (refund.refund_of_id, refund.reason, refund.created_by) == (
        purchase.pk,
        "Bought by mistake",
        staff,
    )
    assert held(player, product) == 0
    assert balance(player) == 1000
    assert_ledger_consistent()


def test_refund_of_a_permanent_takes_it_back():
    player, product = UserFactory(funds=1000), PermanentProductFactory(price=500)
    purchase = purchase_product(user_id=player.pk, product_id=product.pk).transaction

    refund_purchase(transaction_id=purchase.pk, reason="Duplicate")

    assert held(player, product) == 0
    assert balance(player) == 1000
    assert_ledger_consistent()


def test_partly_used_consumable_is_refunded_pro_rata_for_the_units_left():
    player, product = UserFactory(funds=1000), ProductFactory(price=100)
    purchase = purchase_product(user_id=player.pk, product_id=product.pk, quantity=5).transaction
    use_product(user_id=player.pk, product_id=product.pk, quantity=2)

    refund = refund_purchase(transaction_id=purchase.pk, reason="Partly used")

    assert (refund.quantity, refund.amount) == (3, 300)
    assert held(player, product) == 0
    assert balance(player) == 1000 - 500 + 300
    assert_ledger_consistent()


def test_refund_uses_the_price_paid_not_the_current_price():
    player, product = UserFactory(funds=1000), ProductFactory(price=100)
    purchase = purchase_product(user_id=player.pk, product_id=product.pk, quantity=2).transaction
    product.price = 999
    product.save()

    refund = refund_purchase(transaction_id=purchase.pk, reason="Price changed")

    assert (refund.unit_price, refund.amount) == (100, 200)
    assert balance(player) == 1000
    assert_ledger_consistent()


def test_units_bought_later_are_not_refunded_with_an_earlier_purchase():
    player, product = UserFactory(funds=1000), ProductFactory(price=100)
    first = purchase_product(user_id=player.pk, product_id=product.pk, quantity=2).transaction
    purchase_product(user_id=player.pk, product_id=product.pk, quantity=3)

    refund = refund_purchase(transaction_id=first.pk, reason="First order only")

    assert refund.quantity == 2
    assert held(player, product) == 3
    assert_ledger_consistent()


def test_a_refund_credits_the_currency_the_purchase_was_paid_in():
    gems = CurrencyFactory(code="gems")
    player = UserFactory(funds=1000)
    add_funds(user_id=player.pk, amount=50, currency=gems)
    crown = ProductFactory(price=20, price_currency=gems)
    purchase = purchase_product(user_id=player.pk, product_id=crown.pk, quantity=2).transaction

    refund = refund_purchase(transaction_id=purchase.pk, reason="Wrong crown")

    assert (refund.currency, refund.amount) == (gems, 40)
    assert (balance(player), balance_of(player, "gems")) == (1000, 50)
    assert_ledger_consistent()


def test_fully_used_consumable_is_refused_and_changes_nothing():
    player, product = UserFactory(funds=1000), ProductFactory(price=100)
    purchase = purchase_product(user_id=player.pk, product_id=product.pk, quantity=2).transaction
    use_product(user_id=player.pk, product_id=product.pk, quantity=2)

    with pytest.raises(NotRefundable, match="no longer holds"):
        refund_purchase(transaction_id=purchase.pk, reason="Too late")

    assert not Transaction.objects.filter(kind=Kind.REFUND).exists()
    assert balance(player) == 800
    assert_ledger_consistent()


@pytest.mark.parametrize("kind", [Kind.DEPOSIT, Kind.ADJUSTMENT])
def test_a_row_that_is_not_a_purchase_is_refused(kind):
    player = UserFactory(funds=1000)
    row = Transaction.objects.get(user=player, kind=Kind.ADJUSTMENT)
    if kind == Kind.DEPOSIT:
        row = add_funds(user_id=player.pk, amount=50, currency=default_currency()).transaction

    with pytest.raises(NotRefundable, match="Only a completed purchase"):
        refund_purchase(transaction_id=row.pk, reason="Nope")
    assert_ledger_consistent()


def test_a_failed_purchase_is_refused():
    player, product = UserFactory(funds=50), ProductFactory(price=100)
    with pytest.raises(InsufficientFunds):
        purchase_product(user_id=player.pk, product_id=product.pk)
    failed = Transaction.objects.get(kind=Kind.PURCHASE, status=Status.FAILED)

    with pytest.raises(NotRefundable, match="Only a completed purchase"):
        refund_purchase(transaction_id=failed.pk, reason="Nothing was paid")
    assert balance(player) == 50


def test_a_refund_row_cannot_itself_be_refunded():
    player, product = UserFactory(funds=1000), ProductFactory(price=100)
    purchase = purchase_product(user_id=player.pk, product_id=product.pk).transaction
    refund = refund_purchase(transaction_id=purchase.pk, reason="Once")

    with pytest.raises(NotRefundable):
        refund_purchase(transaction_id=refund.pk, reason="Twice?")


def test_second_refund_of_the_same_purchase_is_refused():
    player, product = UserFactory(funds=1000), ProductFactory(price=100)
    purchase = purchase_product(user_id=player.pk, product_id=product.pk, quantity=2).transaction
    refund_purchase(transaction_id=purchase.pk, reason="Once")
    # Even when the player bought the units again in between.
    purchase_product(user_id=player.pk, product_id=product.pk, quantity=2)

    with pytest.raises(NotRefundable, match="already refunded"):
        refund_purchase(transaction_id=purchase.pk, reason="Twice")

    assert Transaction.objects.filter(kind=Kind.REFUND).count() == 1
    assert_ledger_consistent()


def test_a_reason_is_required():
    player, product = UserFactory(funds=1000), ProductFactory(price=100)
    purchase = purchase_product(user_id=player.pk, product_id=product.pk).transaction

    with pytest.raises(InvalidInput, match="reason"):
        refund_purchase(transaction_id=purchase.pk, reason="   ")


def test_an_unknown_transaction_raises_does_not_exist():
    with pytest.raises(Transaction.DoesNotExist):
        refund_purchase(transaction_id=987654321, reason="Ghost")


@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_of_one_purchase_credit_it_once():
    player, product = UserFactory(funds=1000), ProductFactory(price=100)
    purchase = purchase_product(user_id=player.pk, product_id=product.pk, quantity=4).transaction

    results = run_concurrently(
        lambda: refund_purchase(transaction_id=purchase.pk, reason="Clicked twice"),
        [()] * 8,
    )

    refunds = [r for r in results if isinstance(r, Transaction)]
    refusals = [r for r in results if isinstance(r, NotRefundable)]
    assert len(refunds) == 1, results
    assert len(refusals) == 7, results
    assert Transaction.objects.filter(kind=Kind.REFUND, refund_of=purchase).count() == 1
    assert held(player, product) == 0
    assert balance(player) == 1000
    assert_ledger_consistent()
