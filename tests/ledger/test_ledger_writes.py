"""Balance changes and their ledger rows: each is one INSERT of a ledger row, which the database
applies to the player wallets it names in the same statement. The row and the balance move
together, or neither does; and a balance never moves without a row."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from economy.common.exceptions import InsufficientFunds
from economy.ledger import services as ledger
from economy.ledger.models import Kind, Status, SystemWallet, Transaction, Wallet
from tests.factories import ProductFactory, UserFactory, default_currency
from tests.support.ledger import assert_ledger_consistent, balance_of, system_balance, wallet_of

pytestmark = pytest.mark.django_db


def test_a_debit_moves_the_balance_and_writes_the_row():
    user, product = UserFactory(funds=100), ProductFactory(price=30)
    with transaction.atomic():
        wallet = ledger.lock_wallet(user_id=user.pk, currency=product.price_currency)
        row = ledger.pay_for_purchase(wallet=wallet, product=product, quantity=2)
        # The wallet object is kept in step with what the database applied.
        assert wallet.balance == 40
    assert balance_of(user) == 40
    saved = Transaction.objects.get(pk=row.pk)
    assert (saved.kind, saved.status, saved.amount, saved.unit_price, saved.quantity) == (
        Kind.PURCHASE,
        Status.COMPLETED,
        60,
        30,
        2,
    )
    assert (saved.debit_wallet, saved.credit_wallet.name) == (wallet, SystemWallet.STORE)
    assert (saved.currency, saved.user, saved.counterparty) == (default_currency(), user, None)
    assert saved.created_at == row.created_at
    assert system_balance(SystemWallet.STORE) == 60
    assert_ledger_consistent()


def test_a_credit_moves_the_balance_and_writes_the_row():
    user = UserFactory(funds=0)
    change = ledger.add_funds(
        user_id=user.pk, amount=25, currency=default_currency(), idempotency_key="k"
    )
    assert balance_of(user) == change.wallet.balance == 25
    saved = Transaction.objects.get(pk=change.transaction.pk)
    assert saved.idempotency_key == "k"
    assert (saved.debit_wallet.name, saved.credit_wallet) == (
        SystemWallet.DEPOSITS,
        wallet_of(user),
    )
    assert system_balance(SystemWallet.DEPOSITS) == -25
    assert_ledger_consistent()


def test_an_overdraft_is_refused_by_the_service_and_by_the_database_and_writes_nothing():
    """The service checks funds first; if it did not, the database would refuse the row."""
    user, product = UserFactory(funds=10), ProductFactory(price=30)
    rows_before = Transaction.objects.count()
    with transaction.atomic():
        wallet = ledger.lock_wallet(user_id=user.pk, currency=product.price_currency)
        with pytest.raises(InsufficientFunds):
            ledger.pay_for_purchase(wallet=wallet, product=product, quantity=1)
    # The same row written past the service's check.
    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.create(
            currency=wallet.currency,
            debit_wallet=wallet,
            credit_wallet=ledger.system_wallet(SystemWallet.STORE, wallet.currency),
            amount=30,
            kind=Kind.PURCHASE,
            user=user,
            product=product,
            quantity=1,
            unit_price=30,
        )
    assert balance_of(user) == 10
    assert Transaction.objects.count() == rows_before
    assert_ledger_consistent()


@pytest.mark.django_db(transaction=True)  # no test transaction around it: autocommit
def test_a_balance_change_without_a_ledger_row_is_refused_and_writes_nothing():
    """Nothing but a ledger row moves a balance: not an ORM update, not a save, not raw SQL,
    with or without a transaction around them."""
    user = UserFactory(funds=100)
    wallet = wallet_of(user)
    rows_before = Transaction.objects.count()
    with pytest.raises(IntegrityError, match="changes only with a ledger row"):
        Wallet.objects.filter(pk=wallet.pk).update(balance=F("balance") + 1000)
    wallet.balance = 0
    with pytest.raises(IntegrityError), transaction.atomic():
        wallet.save()
    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_wallet SET held = 50 WHERE id = %s", [wallet.pk])
    assert (balance_of(user), wallet_of(user).held) == (100, 0)
    assert Transaction.objects.count() == rows_before
    assert_ledger_consistent()
