import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from economy.ledger.models import Kind, SystemWallet, Transaction, Wallet
from economy.ledger.services import system_wallet
from tests.factories import CurrencyFactory, UserFactory, default_currency
from tests.support.commands import run, run_process

pytestmark = pytest.mark.django_db


def behind_the_ledgers_back(sql, params=()):
    """Run SQL with the ledger's triggers off, as a bug or a hand-edit by a database superuser
    would: the only way left to make the books wrong (the triggers refuse it otherwise)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def corrupt(user, balance, currency="coins"):
    """Change a player's wallet balance behind the ledger's back."""
    behind_the_ledgers_back(
        "UPDATE ledger_wallet SET balance = %s FROM catalog_currency c"
        " WHERE ledger_wallet.currency_id = c.id AND owner_id = %s AND c.code = %s",
        (balance, user.pk, currency),
    )


def wallet_of(user, currency="coins"):
    return Wallet.objects.get(owner=user, currency__code=currency)


def test_the_ledger_refuses_the_corruption_these_tests_simulate():
    alice = UserFactory(funds=100)
    with (
        pytest.raises(IntegrityError, match="changes only with a ledger row"),
        transaction.atomic(),
    ):
        Wallet.objects.filter(owner=alice).update(balance=130)
    assert wallet_of(alice).balance == 100


def test_books_that_balance_exit_0():
    for _ in range(3):
        UserFactory(funds=100)
    UserFactory()  # no wallet opened yet: nothing to check
    out = run("reconcile_ledger")
    assert out.strip() == "OK: 3 wallet(s) match the ledger, and 1 currency(ies) sum to 0."


def test_drift_is_reported_line_by_line_and_fails():
    alice, bob = UserFactory(username="alice", funds=100), UserFactory(funds=50)
    UserFactory(funds=10)
    corrupt(alice, 130)
    wallet = wallet_of(alice)

    out = io.StringIO()
    with pytest.raises(CommandError, match=r"1 of 3 wallet\(s\) drift .*; 1 currency\(ies\)"):
        call_command("reconcile_ledger", stdout=out)
    assert out.getvalue().strip().splitlines() == [
        f"DRIFT wallet {wallet.pk} of alice (id {alice.pk}, coins): balance 130, ledger 100 (+30);"
        " held 0, pending ledger rows 0, pending holds 0",
        "DRIFT currency coins: the wallets sum to +30, not 0",
    ]
    assert bob  # untouched wallets are not listed


def test_each_currency_is_checked_on_its_own():
    gems = CurrencyFactory(code="gems")
    alice = UserFactory(username="alice", funds=100)
    call_command(
        "grant_funds", "alice", "8", "--currency", "gems", "--reason", "x", stdout=io.StringIO()
    )
    corrupt(alice, 5, currency="gems")
    wallet = wallet_of(alice, "gems")

    out = io.StringIO()
    with pytest.raises(CommandError, match=r"1 of 2 wallet\(s\)"):
        call_command("reconcile_ledger", stdout=out)
    assert out.getvalue().strip().splitlines() == [
        f"DRIFT wallet {wallet.pk} of alice (id {alice.pk}, gems): balance 5, ledger 8 (-3);"
        " held 0, pending ledger rows 0, pending holds 0",
        "DRIFT currency gems: the wallets sum to -3, not 0",
    ]
    assert gems


def test_a_movement_across_currencies_shows_as_currencies_that_do_not_sum_to_0():
    gems = CurrencyFactory(code="gems")
    alice = UserFactory(funds=100)
    coins = default_currency()
    # A row the trigger would refuse: 40 coins out of faucet:grants into a gems sink.
    debit = system_wallet(SystemWallet.GRANTS, coins)
    credit = system_wallet(SystemWallet.CORRECTIONS, gems)
    behind_the_ledgers_back(
        "INSERT INTO ledger_transaction (currency_id, debit_wallet_id, credit_wallet_id, amount,"
        " kind, status, user_id, failure_reason, reason, idempotency_key, created_at)"
        " VALUES (%s, %s, %s, 40, 'adjustment', 'completed', %s, '', '', '', now())",
        (coins.pk, debit.pk, credit.pk, alice.pk),
    )
    assert Transaction.objects.filter(kind=Kind.ADJUSTMENT).count() == 2

    out = io.StringIO()
    with pytest.raises(CommandError, match=r"0 of 1 wallet\(s\) drift .*; 2 currency\(ies\)"):
        call_command("reconcile_ledger", stdout=out)
    assert out.getvalue().strip().splitlines() == [
        "DRIFT currency coins: the wallets sum to -40, not 0",
        "DRIFT currency gems: the wallets sum to +40, not 0",
    ]


def test_batches_cover_every_wallet_with_one_query_per_batch():
    users = [UserFactory(funds=10) for _ in range(7)]
    corrupt(users[0], 0)
    corrupt(users[6], 99)

    out = io.StringIO()
    with CaptureQueriesContext(connection) as queries, pytest.raises(CommandError):
        call_command("reconcile_ledger", "--batch-size", "3", "--json", stdout=out)

    # 7 wallets in batches of 3: 3 + 3 + 1.
    batches = [q["sql"] for q in queries.captured_queries if '"ledger_wallet"."id" > ' in q["sql"]]
    assert len(batches) == 3
    drift = json.loads(out.getvalue())["drift"]
    assert [row["user_id"] for row in drift] == [users[0].pk, users[6].pk]


def test_json_lists_the_drift():
    alice = UserFactory(username="alice", funds=100)
    corrupt(alice, 90)
    wallet = wallet_of(alice)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("reconcile_ledger", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "checked": 1,
        "drift": [
            {
                "wallet_id": wallet.pk,
                "user_id": alice.pk,
                "username": "alice",
                "currency": "coins",
                "balance": 90,
                "ledger_balance": 100,
                "held": 0,
                "ledger_held": 0,
                "pending_holds": 0,
            }
        ],
        "currency_sums": {"coins": -10},
        "unbalanced_currencies": {"coins": -10},
    }


def test_json_of_books_that_balance():
    UserFactory(funds=100)
    data = json.loads(run("reconcile_ledger", "--json"))
    assert data == {
        "checked": 1,
        "drift": [],
        "currency_sums": {"coins": 0},
        "unbalanced_currencies": {},
    }


def test_one_user_only():
    alice, bob = UserFactory(username="alice", funds=100), UserFactory(username="bob", funds=10)
    corrupt(bob, 5)
    assert "OK: 1 wallet(s) match the ledger" in run("reconcile_ledger", "--user", "alice")
    with pytest.raises(CommandError, match=r"1 of 1 wallet\(s\)"):
        run("reconcile_ledger", "--user", str(bob.pk))
    with pytest.raises(CommandError, match="No user matches 'ghost'"):
        run("reconcile_ledger", "--user", "ghost")
    assert alice


def test_a_batch_size_below_1_is_refused():
    with pytest.raises(CommandError, match=r"^--batch-size must be at least 1\.$"):
        run("reconcile_ledger", "--batch-size", "0")


@pytest.mark.django_db(transaction=True)
def test_exit_status_is_1_on_drift():
    alice = UserFactory(username="alice", funds=100)
    assert run_process("reconcile_ledger").returncode == 0
    corrupt(alice, 1)
    result = run_process("reconcile_ledger")
    assert result.returncode == 1
    assert f"DRIFT wallet {wallet_of(alice).pk} of alice" in result.stdout
    assert result.stderr.strip() == (
        "CommandError: 1 of 1 wallet(s) drift from the ledger; 1 currency(ies) do not sum to 0."
    )
