"""What PostgreSQL refuses by itself about holds (migrations/sql/0007_holds.postgresql.sql):
each test tries the forbidden write directly. The checks that compare a hold with its ledger
rows are deferred to commit; `SET CONSTRAINTS ALL IMMEDIATE` asks for them at once."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from economy.ledger import holds
from economy.ledger import services as ledger
from economy.ledger.models import Hold, HoldStatus, Kind, Status, SystemWallet, Transaction
from tests.factories import UserFactory, default_currency
from tests.support.ledger import assert_ledger_consistent, wallet_of

pytestmark = pytest.mark.django_db


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def refused_at_commit(*statements, match=None):
    """The statements, then the deferred checks, fail; the savepoint rolls them back."""
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        for statement, params in statements:
            sql(statement, params)
        sql("SET CONSTRAINTS ALL IMMEDIATE")
    sql("SET CONSTRAINTS ALL DEFERRED")


@pytest.fixture
def hold():
    player = UserFactory(funds=100)
    return holds.place_hold(
        user_id=player.pk,
        amount=40,
        currency=default_currency(),
        expires_at=timezone.now() + timedelta(hours=1),
    ).hold


def test_a_hold_is_never_deleted_nor_changed_in_what_it_reserves(hold):
    for statement in (
        "DELETE FROM ledger_hold WHERE id = %s",
        "UPDATE ledger_hold SET amount = 10 WHERE id = %s",
        "UPDATE ledger_hold SET expires_at = now() - interval '1 day' WHERE id = %s",
        "UPDATE ledger_hold SET destination_id = wallet_id + 0 WHERE id = %s",
        "UPDATE ledger_hold SET on_expiry = 'capture' WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            sql(statement, [hold.pk])
    hold.refresh_from_db()
    assert (hold.amount, hold.status) == (40, HoldStatus.PENDING)


def test_an_ended_hold_never_changes_again(hold):
    holds.void_hold(hold_id=hold.pk)
    with pytest.raises(IntegrityError, match="only from pending"), transaction.atomic():
        sql("UPDATE ledger_hold SET reason = 'edited' WHERE id = %s", [hold.pk])


def test_a_hold_cannot_end_without_releasing_its_reservation(hold):
    refused_at_commit(
        (
            "UPDATE ledger_hold SET status = 'voided', resolved_at = now() WHERE id = %s",
            [hold.pk],
        ),
        match="does not match its reservation",
    )
    assert wallet_of(hold.user).held == 40


def test_a_reservation_cannot_be_released_behind_its_hold_s_back(hold):
    refused_at_commit(
        ("UPDATE ledger_transaction SET status = 'voided' WHERE id = %s", [hold.reservation_id]),
        match="does not match its reservation",
    )
    refused_at_commit(
        (
            "UPDATE ledger_transaction SET status = 'completed' WHERE id = %s",
            [hold.reservation_id],
        ),
        match="does not match its reservation",
    )
    assert wallet_of(hold.user).held == 40
    assert_ledger_consistent()


def test_a_pending_hold_row_needs_a_hold(hold):
    wallet = wallet_of(hold.user)
    escrow = ledger.system_wallet(SystemWallet.HOLDS, wallet.currency)
    with pytest.raises(IntegrityError, match="belongs to no hold"), transaction.atomic():
        Transaction.objects.create(
            currency=wallet.currency, debit_wallet=wallet, credit_wallet=escrow, amount=5,
            kind=Kind.HOLD, status=Status.PENDING, user_id=wallet.owner_id,
        )  # fmt: skip
        sql("SET CONSTRAINTS ALL IMMEDIATE")
    sql("SET CONSTRAINTS ALL DEFERRED")


def test_a_capture_must_be_the_captured_amount_from_the_hold_s_wallet(hold):
    change = holds.capture_hold(hold_id=hold.pk, amount=15)
    refused_at_commit(
        ("UPDATE ledger_hold SET captured_amount = 40 WHERE id = %s", [hold.pk]),
        match="only from pending",
    )
    assert change.hold.captured_amount == 15
    # A hold whose capture row is someone else's is refused when it is written.
    other = holds.place_hold(
        user_id=hold.user_id,
        amount=10,
        currency=hold.wallet.currency,
        expires_at=timezone.now() + timedelta(hours=1),
    ).hold
    spent = ledger.spend(user_id=hold.user_id, amount=5, currency=hold.wallet.currency)[0]
    refused_at_commit(
        (
            "UPDATE ledger_transaction SET status = 'voided' WHERE id = %s",
            [other.reservation_id],
        ),
        (
            "UPDATE ledger_hold SET status = 'captured', resolved_at = now(), capture_id = %s,"
            " captured_amount = %s WHERE id = %s",
            [spent.pk, spent.amount, other.pk],
        ),
        match="does not match its capture",
    )
    assert Hold.objects.get(pk=other.pk).status == HoldStatus.PENDING


def test_the_outcome_columns_agree_with_the_status(hold):
    for statement in (
        "UPDATE ledger_hold SET status = 'captured', resolved_at = now() WHERE id = %s",
        "UPDATE ledger_hold SET status = 'expired' WHERE id = %s",
        "UPDATE ledger_hold SET status = 'lost', resolved_at = now() WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            sql(statement, [hold.pk])
