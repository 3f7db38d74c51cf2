"""Balance changes and their ledger rows: one statement on PostgreSQL, two elsewhere (SQLite,
`make run`); either way the row and the balance move together, or neither does."""

import pytest
from django.db import IntegrityError, connection, transaction

from economy.ledger import services as ledger
from economy.ledger.models import Kind, Status, Transaction
from tests.factories import ProductFactory, UserFactory
from tests.support.ledger import assert_ledger_consistent

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["postgresql", "other"])
def vendor(request, monkeypatch):
    """The PostgreSQL statement, and the two portable ones run on PostgreSQL too."""
    if request.param != "postgresql":
        monkeypatch.setattr(connection, "vendor", "sqlite")
    return request.param


def test_a_debit_moves_the_balance_and_writes_the_row(vendor):
    user, product = UserFactory(funds=100), ProductFactory(price=30)
    with transaction.atomic():
        ledger.lock_user(user.pk)
        row = ledger.debit_purchase(user_id=user.pk, product=product, quantity=2)
    user.refresh_from_db()
    assert user.balance == 40
    saved = Transaction.objects.get(pk=row.pk)
    assert (saved.kind, saved.status, saved.amount, saved.unit_price) == (
        Kind.PURCHASE,
        Status.COMPLETED,
        60,
        30,
    )
    assert saved.created_at == row.created_at
    assert_ledger_consistent()


def test_a_credit_moves_the_balance_and_writes_the_row(vendor):
    user = UserFactory(funds=0)
    change = ledger.add_funds(user_id=user.pk, amount=25, idempotency_key="k")
    user.refresh_from_db()
    assert user.balance == change.balance == 25
    assert Transaction.objects.get(pk=change.transaction.pk).idempotency_key == "k"
    assert_ledger_consistent()


def test_an_overdraft_is_refused_by_the_database_and_writes_nothing(vendor):
    """The service checks funds first; if it did not, CHECK balance >= 0 would refuse it."""
    user, product = UserFactory(funds=10), ProductFactory(price=30)
    rows_before = Transaction.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        ledger.lock_user(user.pk)
        ledger.debit_purchase(user_id=user.pk, product=product, quantity=1)
    user.refresh_from_db()
    assert user.balance == 10
    assert Transaction.objects.count() == rows_before


@pytest.mark.django_db(transaction=True)  # no test transaction around it: autocommit
def test_a_balance_change_outside_a_transaction_is_refused_and_writes_nothing():
    from django.db.transaction import TransactionManagementError

    user, product = UserFactory(funds=100), ProductFactory(price=30)
    rows_before = Transaction.objects.count()
    with pytest.raises(TransactionManagementError):
        ledger.debit_purchase(user_id=user.pk, product=product, quantity=1)
    user.refresh_from_db()
    assert user.balance == 100
    assert Transaction.objects.count() == rows_before
