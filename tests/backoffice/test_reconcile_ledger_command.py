import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from economy.accounts.models import User
from tests.factories import UserFactory
from tests.support.commands import run, run_process

pytestmark = pytest.mark.django_db


def corrupt(user, balance):
    """Change a balance behind the ledger's back, as a bug or a hand-edit would."""
    User.objects.filter(pk=user.pk).update(balance=balance)


def test_books_that_balance_exit_0():
    for _ in range(3):
        UserFactory(funds=100)
    out = run("reconcile_ledger")
    assert out.strip() == f"OK: {User.objects.count()} user(s) checked, balances match the ledger."


def test_drift_is_reported_line_by_line_and_fails():
    alice, bob, _ = UserFactory(username="alice", funds=100), UserFactory(funds=50), UserFactory()
    corrupt(alice, 130)

    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 3 user"):
        call_command("reconcile_ledger", stdout=out)
    assert out.getvalue().strip() == (
        f"DRIFT user alice (id {alice.pk}): balance 130, ledger 100, difference +30"
    )
    assert bob  # untouched users are not listed


def test_batches_cover_every_user_with_one_query_per_batch():
    users = [UserFactory(funds=10) for _ in range(7)]
    corrupt(users[0], 0)
    corrupt(users[6], 99)

    with CaptureQueriesContext(connection) as queries, pytest.raises(CommandError):
        run("reconcile_ledger", "--batch-size", "3", "--json")

    # 7 users in batches of 3: 3 + 3 + 1.
    assert len(queries.captured_queries) == 3
    assert all('"id" > ' in q["sql"] for q in queries.captured_queries)


def test_json_lists_the_drift():
    alice = UserFactory(username="alice", funds=100)
    corrupt(alice, 90)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("reconcile_ledger", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "checked": 1,
        "drift": [
            {
                "user_id": alice.pk,
                "username": "alice",
                "balance": 90,
                "ledger": 100,
                "difference": -10,
            }
        ],
    }


def test_one_user_only():
    alice, bob = UserFactory(username="alice", funds=100), UserFactory(username="bob")
    corrupt(bob, 5)
    assert "1 user(s) checked" in run("reconcile_ledger", "--user", "alice")
    with pytest.raises(CommandError, match="1 of 1 user"):
        run("reconcile_ledger", "--user", str(bob.pk))
    with pytest.raises(CommandError, match="No user matches 'ghost'"):
        run("reconcile_ledger", "--user", "ghost")
    assert alice


@pytest.mark.django_db(transaction=True)
def test_exit_status_is_1_on_drift():
    alice = UserFactory(username="alice", funds=100)
    assert run_process("reconcile_ledger").returncode == 0
    corrupt(alice, 1)
    result = run_process("reconcile_ledger")
    assert result.returncode == 1
    assert "DRIFT user alice" in result.stdout
    assert result.stderr.strip() == "CommandError: 1 of 1 user(s) drift from the ledger."
