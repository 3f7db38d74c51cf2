import json

import pytest
from django.core.management.base import CommandError

from economy.inventory.services import purchase_product, use_product
from economy.ledger.models import Kind, Transaction
from economy.ledger.services import add_funds
from tests.factories import CurrencyFactory, ProductFactory, StaffFactory, UserFactory
from tests.support.commands import run, run_process
from tests.support.ledger import assert_ledger_consistent, balance_of

pytestmark = pytest.mark.django_db


def bought(quantity=2, funds=1000):
    player, product = UserFactory(funds=funds), ProductFactory(price=100)
    return purchase_product(user_id=player.pk, product_id=product.pk, quantity=quantity).transaction


def test_refund_credits_the_units_still_held():
    purchase = bought(quantity=3)
    use_product(user_id=purchase.user_id, product_id=purchase.product_id)
    staff = StaffFactory(username="sam")

    out = run("refund", str(purchase.pk), "--reason", "Ticket 12", "--staff", "sam")

    refund = Transaction.objects.get(kind=Kind.REFUND)
    assert (refund.quantity, refund.amount, refund.created_by) == (2, 200, staff)
    assert out.strip() == (
        f"Refunded purchase #{purchase.pk}: 2 unit(s), 200 coins credited to user "
        f"{purchase.user_id} (refund #{refund.pk})."
    )
    assert_ledger_consistent()


def test_refund_prints_json():
    purchase = bought()
    data = json.loads(run("refund", str(purchase.pk), "--reason", "Ticket 12", "--json"))
    refund = Transaction.objects.get(kind=Kind.REFUND)
    assert data == {
        "refund_id": refund.pk,
        "purchase_id": purchase.pk,
        "user_id": purchase.user_id,
        "quantity": 2,
        "amount": 200,
        "currency": "coins",
    }


def test_a_purchase_in_another_currency_is_refunded_in_it():
    gems = CurrencyFactory(code="gems")
    player = UserFactory(funds=1000)
    add_funds(user_id=player.pk, amount=50, currency=gems)
    crown = ProductFactory(price=20, price_currency=gems)
    purchase = purchase_product(user_id=player.pk, product_id=crown.pk).transaction

    out = run("refund", str(purchase.pk), "--reason", "Ticket 13")

    refund = Transaction.objects.get(kind=Kind.REFUND)
    assert (refund.currency, refund.amount) == (gems, 20)
    assert "1 unit(s), 20 gems credited" in out
    assert (balance_of(player), balance_of(player, "gems")) == (1000, 50)
    assert_ledger_consistent()


def test_refund_errors_are_one_clear_message():
    purchase = bought()
    with pytest.raises(CommandError, match=r"^No transaction #999999\.$"):
        run("refund", "999999", "--reason", "x")
    with pytest.raises(CommandError, match="'abc' is not a transaction id"):
        run("refund", "abc", "--reason", "x")
    with pytest.raises(CommandError, match="A reason is required"):
        run("refund", str(purchase.pk), "--reason", " ")
    adjustment = Transaction.objects.get(kind=Kind.ADJUSTMENT)
    with pytest.raises(CommandError, match="Only a completed purchase can be refunded"):
        run("refund", str(adjustment.pk), "--reason", "x")
    assert not Transaction.objects.filter(kind=Kind.REFUND).exists()


def test_a_fully_used_purchase_is_refused():
    purchase = bought(quantity=1)
    use_product(user_id=purchase.user_id, product_id=purchase.product_id)
    with pytest.raises(CommandError, match="no longer holds any unit"):
        run("refund", str(purchase.pk), "--reason", "x")


@pytest.mark.django_db(transaction=True)
def test_exit_status_is_0_then_1_for_a_second_refund():
    purchase = bought()

    first = run_process("refund", str(purchase.pk), "--reason", "Ticket 12")
    assert first.returncode == 0, first.stderr

    second = run_process("refund", str(purchase.pk), "--reason", "Ticket 12")
    assert second.returncode == 1
    assert second.stderr.strip() == "CommandError: This purchase was already refunded."
    assert Transaction.objects.filter(kind=Kind.REFUND).count() == 1
