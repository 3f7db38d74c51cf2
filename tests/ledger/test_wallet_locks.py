"""ledger.services.lock_wallet / lock_wallets (economy/ledger/locks.py): the row locks on
player wallets every balance change starts with, first in the global lock order."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.db.transaction import TransactionManagementError
from django.db.utils import OperationalError
from django.test.utils import CaptureQueriesContext

from economy.accounts.models import User
from economy.ledger import services as ledger
from economy.ledger.models import Kind, SystemWallet, Transaction, Wallet
from tests.factories import CurrencyFactory, UserFactory, default_currency
from tests.support.ledger import assert_ledger_consistent, balance_of


@pytest.mark.django_db
def test_returns_the_locked_wallet_with_its_balance():
    user = UserFactory(funds=250)
    coins = default_currency()
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        wallet = ledger.lock_wallet(user_id=user.pk, currency=coins)
        assert (wallet.owner_id, wallet.currency, wallet.balance, wallet.available) == (
            user.pk,
            coins,
            250,
            250,
        )
    [locking] = [q["sql"] for q in queries if "ledger_wallet" in q["sql"]]
    assert "FOR NO KEY UPDATE" in locking


@pytest.mark.django_db
def test_several_wallets_are_locked_in_one_statement_in_id_order():
    """The global order: player wallets by id, whatever order the caller names them in."""
    user = UserFactory(funds=10)
    gems = CurrencyFactory(code="gems")
    ledger.add_funds(user_id=user.pk, amount=5, currency=gems)
    coins = default_currency()
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        wallets = ledger.lock_wallets([(user.pk, gems), (user.pk, coins)])
    assert {key: wallet.balance for key, wallet in wallets.items()} == {
        (user.pk, coins.pk): 10,
        (user.pk, gems.pk): 5,
    }
    [locking] = [q["sql"] for q in queries]
    assert locking.endswith("ORDER BY id FOR NO KEY UPDATE")


@pytest.mark.django_db
def test_an_unknown_user_is_does_not_exist():
    with transaction.atomic(), pytest.raises(User.DoesNotExist):
        ledger.lock_wallet(user_id=987654, currency=default_currency())
    assert not Wallet.objects.filter(owner_id=987654).exists()


@pytest.mark.django_db(transaction=True)  # no test transaction around it: autocommit
def test_outside_a_transaction_it_refuses_to_pretend():
    coins = default_currency()
    funded, new = UserFactory(funds=10), UserFactory()
    rows = Transaction.objects.count()
    for user in (funded, new):
        with pytest.raises(TransactionManagementError):
            ledger.lock_wallet(user_id=user.pk, currency=coins)
    # Nothing opened, nothing granted.
    assert not Wallet.objects.filter(owner=new).exists()
    assert Transaction.objects.count() == rows


@pytest.mark.django_db(transaction=True)
def test_a_second_locker_waits_for_the_first_to_commit():
    """Another connection's lock on the same wallet times out while the first transaction holds
    it, and goes through once it has committed, seeing what the first one wrote."""
    user = UserFactory(funds=10)
    coins = default_currency()
    holding, release, outcome = threading.Event(), threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                wallet = ledger.lock_wallet(user_id=user.pk, currency=coins)
                ledger.post(
                    debit=ledger.system_wallet(SystemWallet.DEPOSITS, coins),
                    credit=wallet,
                    amount=5,
                    kind=Kind.DEPOSIT,
                )
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
            ledger.lock_wallet(user_id=user.pk, currency=coins)
        outcome["blocked"] = True
    finally:
        release.set()
        thread.join(10)
    with transaction.atomic():
        assert ledger.lock_wallet(user_id=user.pk, currency=coins).balance == 15
    assert outcome == {"blocked": True}
    assert balance_of(user) == 15
    assert_ledger_consistent()


@pytest.mark.django_db(transaction=True)
def test_a_locked_wallet_does_not_hold_up_rows_that_only_name_it():
    """FOR NO KEY UPDATE: a `failed` row naming a locked wallet (its foreign key takes KEY
    SHARE on the wallet) is written without waiting for the lock holder."""
    user = UserFactory(funds=10)
    coins = default_currency()
    holding, release = threading.Event(), threading.Event()

    def first():
        try:
            with transaction.atomic():
                ledger.lock_wallet(user_id=user.pk, currency=coins)
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        wallet = Wallet.objects.select_related("currency").get(owner=user, currency=coins)
        failed = ledger.record_failure(
            debit=wallet,
            credit=ledger.system_wallet(SystemWallet.SPEND, coins),
            amount=99,
            kind=Kind.SPEND,
            failure="insufficient_funds",
        )
    finally:
        release.set()
        thread.join(10)
    assert Transaction.objects.filter(pk=failed.pk).exists()
    assert balance_of(user) == 10
    assert_ledger_consistent()


@pytest.mark.django_db
def test_an_id_beyond_the_database_s_integers_names_no_wallet():
    # SQLite could not even bind it: the statement leaves it out.
    from economy.ledger import statements

    with transaction.atomic():
        assert statements.lock_player_wallets([(2**63, default_currency().pk)]) == []
