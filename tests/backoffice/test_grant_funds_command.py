import json

import pytest
from django.core.management.base import CommandError

from economy.ledger.models import Kind, Transaction
from tests.factories import CurrencyFactory, StaffFactory, UserFactory
from tests.support.commands import run, run_process
from tests.support.ledger import assert_ledger_consistent, balance_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("how", ["id", "username", "email"])
def test_grant_funds_finds_the_user_by_id_username_or_email(how):
    player = UserFactory(username="alice", email="Alice@Example.com")
    identifier = {"id": str(player.pk), "username": "alice", "email": "alice@example.com"}[how]

    out = run("grant_funds", identifier, "150", "--reason", "Lost item refund")

    row = Transaction.objects.get(user=player)
    assert (row.kind, row.amount, row.currency.code, row.reason) == (
        Kind.ADJUSTMENT,
        150,
        "coins",
        "Lost item refund",
    )
    assert (row.debit_wallet.name, row.credit_wallet.owner) == ("faucet:grants", player)
    assert out.strip() == (
        f"Adjusted alice (id {player.pk}) by +150 coins: balance 150, transaction #{row.pk}."
    )
    assert_ledger_consistent()


def test_a_negative_amount_takes_currency_back_into_sink_corrections():
    player = UserFactory(username="alice", funds=100)

    out = run("grant_funds", "alice", "-40", "--reason", "Duplicate grant")

    row = Transaction.objects.filter(user=player).first()
    assert (row.kind, row.amount, row.reason) == (Kind.ADJUSTMENT, 40, "Duplicate grant")
    assert (row.debit_wallet.owner, row.credit_wallet.name) == (player, "sink:corrections")
    assert balance_of(player) == 60
    assert out.strip() == (
        f"Adjusted alice (id {player.pk}) by -40 coins: balance 60, transaction #{row.pk}."
    )
    assert_ledger_consistent()


def test_taking_back_more_than_the_player_has_is_refused():
    player = UserFactory(funds=100)
    with pytest.raises(CommandError, match=r"^The available balance does not cover this\.$"):
        run("grant_funds", player.username, "-101", "--reason", "Too much")
    assert balance_of(player) == 100
    assert Transaction.objects.filter(user=player).count() == 1


def test_a_grant_above_the_currencys_maximum_is_refused():
    CurrencyFactory(code="gems", max_balance=100)
    player = UserFactory()
    with pytest.raises(CommandError, match="above the currency's maximum"):
        run("grant_funds", player.username, "101", "--currency", "gems", "--reason", "x")
    assert balance_of(player, "gems") == 0


def test_another_currency_is_named_with_currency():
    CurrencyFactory(code="gems")
    player = UserFactory(username="alice", funds=100)

    out = run("grant_funds", "alice", "3", "--currency", "gems", "--reason", "Event prize")

    row = Transaction.objects.filter(user=player).first()
    assert (row.amount, row.currency.code) == (3, "gems")
    assert (balance_of(player), balance_of(player, "gems")) == (100, 3)
    assert out.strip() == (
        f"Adjusted alice (id {player.pk}) by +3 gems: balance 3, transaction #{row.pk}."
    )
    assert_ledger_consistent()


def test_grant_funds_records_the_staff_member_and_prints_json():
    player, staff = UserFactory(funds=10), StaffFactory(username="sam")

    out = run(
        "grant_funds", player.username, "5", "--reason", "Goodwill", "--staff", "sam", "--json"
    )

    row = Transaction.objects.filter(user=player).first()
    assert row.created_by == staff
    assert json.loads(out) == {
        "user_id": player.pk,
        "username": player.username,
        "transaction_id": row.pk,
        "currency": "coins",
        "amount": 5,
        "balance": 15,
        "available": 15,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "10", "--reason", "x"], "No user matches 'nobody'"),
        (["{user}", "ten", "--reason", "x"], "The amount must be an integer."),
        (["{user}", "0", "--reason", "x"], "The amount must be between 1 and 100000."),
        (["{user}", "100001", "--reason", "x"], "The amount must be between 1 and 100000."),
        (["{user}", "-100001", "--reason", "x"], "The amount must be between 1 and 100000."),
        (["{user}", "10", "--reason", "x", "--currency", "doubloons"], "No active currency"),
        (["{user}", "10", "--reason", "  "], "A reason is required."),
        (["{user}", "10", "--reason", "x", "--staff", "ghost"], "No user matches 'ghost'"),
    ],
)
def test_grant_funds_refuses_with_one_clear_message(args, message):
    player = UserFactory()
    args = [arg.format(user=player.username) for arg in args]

    with pytest.raises(CommandError, match=message):
        run("grant_funds", *args)
    assert not Transaction.objects.exists()


def test_the_reason_is_mandatory():
    player = UserFactory()
    with pytest.raises(CommandError, match="--reason"):
        run("grant_funds", player.username, "10")


@pytest.mark.django_db(transaction=True)
def test_exit_status_is_0_on_success_and_1_with_one_line_on_error():
    player = UserFactory(username="alice")

    ok = run_process("grant_funds", "alice", "20", "--reason", "Support ticket 7")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("Adjusted alice")

    refused = run_process("grant_funds", "alice", "0", "--reason", "Support ticket 7")
    assert refused.returncode == 1
    assert refused.stderr.strip() == "CommandError: The amount must be between 1 and 100000."

    overdrawn = run_process("grant_funds", "alice", "-21", "--reason", "Support ticket 7")
    assert overdrawn.returncode == 1
    assert overdrawn.stderr.strip() == "CommandError: The available balance does not cover this."

    assert balance_of(player) == 20


def test_help_describes_the_command():
    from django.core.management import load_command_class

    parser = load_command_class("economy.ledger", "grant_funds").create_parser(
        "manage.py", "grant_funds"
    )
    text = parser.format_help()
    assert "--reason" in text
    assert "adjustment" in text
