"""A money request that PostgreSQL picks to break a deadlock runs once more and succeeds, once:
another transaction locks two wallets against the global order, so that a transfer between
them deadlocks with it for real."""

import logging
import threading
import uuid

import pytest
from django.db import connection, connections, transaction

from economy.ledger.models import Kind, Transaction, Wallet
from economy.transfers.models import Transfer
from tests.factories import UserFactory, default_currency
from tests.support.api import client_for, grant
from tests.support.ledger import assert_ledger_consistent
from tests.support.processes import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LOCK = "SELECT id FROM ledger_wallet WHERE id = %s FOR UPDATE"


def lock_waiters(excluding):
    """Backends of this database waiting for a row lock, other than `excluding`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> %s",
            [excluding],
        )
        return cursor.fetchone()[0]


def test_a_transfer_chosen_to_break_a_deadlock_runs_again(caplog):
    coins = default_currency()
    sender, receiver = UserFactory(funds=100), UserFactory(funds=1)
    first, second = sorted(
        Wallet.objects.filter(owner__in=[sender, receiver], currency=coins).values_list(
            "pk", flat=True
        )
    )
    backend = client_for(grant(UserFactory(username="game-server"), "add_funds"))
    other_pid, b_locked, request_waits, other_done = [], threading.Event(), threading.Event(), []

    def out_of_order():
        """Locks the second wallet, then the first: against the order, as a deadlock needs."""
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                # The transfer's backend detects the deadlock first, and is the one rolled back.
                cursor.execute("SET LOCAL deadlock_timeout = '30s'")
                cursor.execute("SELECT pg_backend_pid()")
                other_pid.append(cursor.fetchone()[0])
                cursor.execute(LOCK, [second])
                b_locked.set()
                request_waits.wait(10)
                cursor.execute(LOCK, [first])
            other_done.append(True)
        finally:
            connections.close_all()

    def transfer():
        try:
            responses.append(
                backend.post(
                    "/api/v1/transfers",
                    {"from_user": sender.pk, "to_user": receiver.pk, "amount": 30},
                    format="json",
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
            )
        finally:
            connections.close_all()

    responses = []
    other = threading.Thread(target=out_of_order)
    other.start()
    assert b_locked.wait(10)
    request = threading.Thread(target=transfer)
    with caplog.at_level(logging.WARNING, logger="economy.errors"):
        request.start()
        wait_until(
            lambda: lock_waiters(excluding=other_pid[0]) == 1,
            timeout=10,
            message="the transfer to wait on the second wallet",
        )
        request_waits.set()
        other.join(20)
        request.join(20)

    assert other_done == [True]
    [response] = responses
    assert response.status_code == 201, response.content
    assert "deadlock broken by PostgreSQL" in caplog.text
    assert Transfer.objects.count() == 1
    assert Transaction.objects.filter(kind=Kind.TRANSFER).count() == 1
    wallets = Wallet.objects.filter(owner__in=[sender, receiver], currency=coins)
    assert {w.owner_id: w.balance for w in wallets} == {sender.pk: 70, receiver.pk: 31}
    assert_ledger_consistent()
