"""ledger.services.lock_user: the row lock every balance change starts with."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.db.transaction import TransactionManagementError
from django.db.utils import OperationalError

from economy.accounts.models import User
from economy.ledger.services import lock_user
from tests.factories import UserFactory


@pytest.mark.django_db
def test_returns_the_balance_of_the_locked_row():
    user = UserFactory(funds=250)
    with transaction.atomic():
        assert lock_user(user.pk) == (user.pk, 250)


@pytest.mark.django_db
def test_an_unknown_user_is_does_not_exist():
    with transaction.atomic(), pytest.raises(User.DoesNotExist):
        lock_user(987654)


@pytest.mark.django_db(transaction=True)  # no test transaction around it: autocommit
def test_outside_a_transaction_it_refuses_to_pretend():
    user = UserFactory()
    with pytest.raises(TransactionManagementError):
        lock_user(user.pk)


@pytest.mark.django_db(transaction=True)
def test_a_second_locker_waits_for_the_first_to_commit():
    """Another connection's lock on the same row times out while the first transaction holds
    it, and goes through once it has committed."""
    user = UserFactory(funds=10)
    holding, release, outcome = threading.Event(), threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                lock_user(user.pk)
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        with pytest.raises(OperationalError), transaction.atomic():
            lock_user(user.pk)
        outcome["blocked"] = True
    finally:
        release.set()
        thread.join(10)
    with transaction.atomic():
        assert lock_user(user.pk).balance == 10
    assert outcome == {"blocked": True}
