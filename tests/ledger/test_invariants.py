"""What PostgreSQL refuses by itself, whatever the application does: each test tries the
forbidden write directly and gets an error (migrations/sql/0006_invariants.postgresql.sql and
the models' constraints). tests/ledger/test_sqlite_invariants.py does the same on SQLite."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from economy.catalog.models import Currency
from economy.ledger import holds
from economy.ledger import services as ledger
from economy.ledger.models import Kind, Status, SystemWallet, Transaction, Wallet
from tests.factories import CurrencyFactory, ProductFactory, UserFactory, default_currency
from tests.support.ledger import assert_ledger_consistent

pytestmark = pytest.mark.django_db


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def coins():
    return default_currency()


@pytest.fixture
def wallet(coins):
    """A player's coins wallet holding 100."""
    user = UserFactory(funds=100)
    return Wallet.objects.get(owner=user, currency=coins)


def place(wallet, amount):
    """A pending hold of `amount` on the wallet, placed as a game server does."""
    return holds.place_hold(
        user_id=wallet.owner_id,
        amount=amount,
        currency=wallet.currency,
        expires_at=timezone.now() + timedelta(hours=1),
    ).hold


def refused(statement, params=(), match=None):
    """The statement fails and changes nothing (its savepoint is rolled back)."""
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        sql(statement, params)


def test_a_balance_never_changes_without_a_ledger_row(wallet):
    refused(
        "UPDATE ledger_wallet SET balance = balance + 1000 WHERE id = %s",
        [wallet.pk],
        match="changes only with a ledger row",
    )
    refused("UPDATE ledger_wallet SET held = 5 WHERE id = %s", [wallet.pk])
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.held) == (100, 0)


def test_a_wallet_opens_empty(coins):
    user = UserFactory()
    refused(
        "INSERT INTO ledger_wallet (owner_id, name, currency_id, balance, held, created_at)"
        " VALUES (%s, '', %s, 500, 0, now())",
        [user.pk, coins.pk],
        match="opens empty",
    )


def test_a_wallet_keeps_its_owner_and_currency(wallet):
    gems = CurrencyFactory(code="gems")
    refused("UPDATE ledger_wallet SET currency_id = %s WHERE id = %s", [gems.pk, wallet.pk])
    refused("UPDATE ledger_wallet SET owner_id = %s WHERE id = %s", [UserFactory().pk, wallet.pk])


def test_a_completed_row_is_applied_to_the_player_wallets_in_the_same_statement(wallet, coins):
    store = ledger.system_wallet(SystemWallet.STORE, coins)
    Transaction.objects.create(
        currency=coins,
        debit_wallet=wallet,
        credit_wallet=store,
        amount=30,
        kind=Kind.SPEND,
        user_id=wallet.owner_id,
    )
    wallet.refresh_from_db()
    store.refresh_from_db()
    assert wallet.balance == 70
    assert store.balance == 0  # system wallets store nothing: derived from the ledger
    assert_ledger_consistent()


def test_an_overdraft_is_refused_even_through_the_ledger(wallet, coins):
    store = ledger.system_wallet(SystemWallet.STORE, coins)
    with pytest.raises(IntegrityError, match="wallet_available_gte_0"), transaction.atomic():
        Transaction.objects.create(
            currency=coins,
            debit_wallet=wallet,
            credit_wallet=store,
            amount=101,
            kind=Kind.SPEND,
            user_id=wallet.owner_id,
        )
    wallet.refresh_from_db()
    assert wallet.balance == 100
    assert not Transaction.objects.filter(kind=Kind.SPEND).exists()


def test_held_currency_cannot_be_spent(wallet, coins):
    store = ledger.system_wallet(SystemWallet.STORE, coins)
    place(wallet, 80)
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.held, wallet.available) == (100, 80, 20)
    with pytest.raises(IntegrityError, match="wallet_available_gte_0"), transaction.atomic():
        Transaction.objects.create(
            currency=coins, debit_wallet=wallet, credit_wallet=store, amount=21,
            kind=Kind.SPEND, user_id=wallet.owner_id,
        )  # fmt: skip


def test_a_balance_above_the_currency_maximum_is_refused(coins):
    gems = CurrencyFactory(code="gems", max_balance=50)
    user = UserFactory()
    with transaction.atomic():
        wallet = ledger.lock_wallet(user_id=user.pk, currency=gems)
    grants = ledger.system_wallet(SystemWallet.GRANTS, gems)
    with pytest.raises(IntegrityError, match="maximum balance"), transaction.atomic():
        Transaction.objects.create(
            currency=gems, debit_wallet=grants, credit_wallet=wallet, amount=51,
            kind=Kind.ADJUSTMENT, user=user,
        )  # fmt: skip
    wallet.refresh_from_db()
    assert wallet.balance == 0


def test_a_lowered_maximum_takes_nothing_away_and_refuses_further_credits(coins):
    gems = CurrencyFactory(code="gems")
    user = UserFactory()
    change = ledger.add_funds(user_id=user.pk, amount=80, currency=gems)
    Currency.objects.filter(pk=gems.pk).update(max_balance=50)
    gems.refresh_from_db()
    wallet = Wallet.objects.get(pk=change.wallet.pk)
    assert wallet.balance == 80
    with pytest.raises(IntegrityError, match="maximum balance"), transaction.atomic():
        Transaction.objects.create(
            currency=gems, debit_wallet=ledger.system_wallet(SystemWallet.GRANTS, gems),
            credit_wallet=wallet, amount=1, kind=Kind.ADJUSTMENT, user=user,
        )  # fmt: skip


def test_a_movement_never_crosses_currencies(wallet, coins):
    gems = CurrencyFactory(code="gems")
    gems_sink = ledger.system_wallet(SystemWallet.STORE, gems)
    for currency in (coins, gems):
        with pytest.raises(IntegrityError, match="different currencies"), transaction.atomic():
            Transaction.objects.create(
                currency=currency, debit_wallet=wallet, credit_wallet=gems_sink, amount=1,
                kind=Kind.SPEND, user_id=wallet.owner_id,
            )  # fmt: skip


def test_a_row_names_the_players_of_its_wallets(wallet, coins):
    store = ledger.system_wallet(SystemWallet.STORE, coins)
    stranger = UserFactory()
    with pytest.raises(IntegrityError, match="owners of the wallets"), transaction.atomic():
        Transaction.objects.create(
            currency=coins, debit_wallet=wallet, credit_wallet=store, amount=1,
            kind=Kind.SPEND, user=stranger,
        )  # fmt: skip


def test_a_movement_needs_two_different_wallets(wallet, coins):
    with pytest.raises(IntegrityError, match="txn_between_two_wallets"), transaction.atomic():
        Transaction.objects.create(
            currency=coins, debit_wallet=wallet, credit_wallet=wallet, amount=1,
            kind=Kind.SPEND, user_id=wallet.owner_id, counterparty_id=wallet.owner_id,
        )  # fmt: skip


def test_a_completed_row_is_never_updated_nor_deleted(wallet):
    row = Transaction.objects.get(credit_wallet=wallet)
    refused("UPDATE ledger_transaction SET amount = 1 WHERE id = %s", [row.pk], match="append-only")
    refused(
        "UPDATE ledger_transaction SET status = 'voided' WHERE id = %s",
        [row.pk],
        match="append-only",
    )
    refused("DELETE FROM ledger_transaction WHERE id = %s", [row.pk], match="append-only")
    row.refresh_from_db()
    assert (row.amount, row.status) == (100, Status.COMPLETED)


def test_a_pending_row_only_moves_its_status_once(wallet, coins):
    reservation = place(wallet, 40).reservation
    refused(
        "UPDATE ledger_transaction SET status = 'voided', amount = 10 WHERE id = %s",
        [reservation.pk],
    )
    holds.void_hold(hold_id=reservation.hold.pk)
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.held) == (100, 0)  # released
    for status in ("completed", "pending", "failed"):
        refused(
            f"UPDATE ledger_transaction SET status = '{status}' WHERE id = %s", [reservation.pk]
        )
    assert_ledger_consistent()


def test_system_wallets_store_no_balance(coins):
    sink = ledger.system_wallet("sink:test", coins)
    refused("UPDATE ledger_wallet SET balance = 5 WHERE id = %s", [sink.pk])
    refused(
        "INSERT INTO ledger_wallet (owner_id, name, currency_id, balance, held, created_at)"
        " VALUES (NULL, 'sink:other', %s, -5, 0, now())",
        [coins.pk],
    )


def test_a_wallet_is_a_player_s_or_a_named_system_one(coins):
    refused(
        "INSERT INTO ledger_wallet (owner_id, name, currency_id, balance, held, created_at)"
        " VALUES (NULL, 'anything', %s, 0, 0, now())",
        [coins.pk],
        match="wallet_player_or_named_system",
    )


def test_one_wallet_per_player_and_currency(wallet, coins):
    refused(
        "INSERT INTO ledger_wallet (owner_id, name, currency_id, balance, held, created_at)"
        " VALUES (%s, '', %s, 0, 0, now())",
        [wallet.owner_id, coins.pk],
        match="wallet_one_per_player_currency",
    )


def test_at_most_one_default_currency(coins):
    with pytest.raises(IntegrityError, match="currency_one_default"), transaction.atomic():
        Currency.objects.create(code="gems", name="Gems", is_default=True)


@pytest.mark.django_db(transaction=True)
def test_no_transaction_commits_without_a_default_currency():
    default_currency()
    one_default = "exactly one currency is the default"
    with pytest.raises(IntegrityError, match=one_default), transaction.atomic():
        Currency.objects.filter(is_default=True).update(is_default=False)
    assert Currency.objects.filter(is_default=True).count() == 1


def columns_of(row):
    """A ledger row's columns for a hand-written INSERT, and their values."""
    names = [
        "id", "currency_id", "debit_wallet_id", "credit_wallet_id", "amount", "kind", "status",
        "user_id", "counterparty_id", "product_id", "quantity", "unit_price", "refund_of_id",
        "failure_reason", "reason", "idempotency_key", "created_at",
    ]  # fmt: skip
    return ", ".join(names), [getattr(row, name) for name in names]


def test_a_row_that_on_conflict_skips_moves_nothing(wallet, coins):
    """A row is applied after it is written: an INSERT that ON CONFLICT DO NOTHING skips (here
    a deposit reusing an existing row's id) leaves every balance as it was."""
    existing = Transaction.objects.get(credit_wallet=wallet)
    deposit = Transaction(
        id=existing.pk, currency=coins, amount=5000, kind=Kind.DEPOSIT, status=Status.COMPLETED,
        debit_wallet=ledger.system_wallet(SystemWallet.DEPOSITS, coins), credit_wallet=wallet,
        user_id=wallet.owner_id, reason="ghost", created_at=timezone.now(),
    )  # fmt: skip
    reservation = Transaction(
        id=existing.pk, currency=coins, amount=60, kind=Kind.HOLD, status=Status.PENDING,
        debit_wallet=wallet, credit_wallet=ledger.system_wallet(SystemWallet.HOLDS, coins),
        user_id=wallet.owner_id, created_at=timezone.now(),
    )  # fmt: skip
    for row in (deposit, reservation):
        names, values = columns_of(row)
        placeholders = ", ".join(["%s"] * len(values))
        sql(
            f"INSERT INTO ledger_transaction ({names}) VALUES ({placeholders})"
            " ON CONFLICT (id) DO NOTHING",
            values,
        )
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.held) == (100, 0)
    assert not Transaction.objects.filter(reason="ghost").exists()
    assert_ledger_consistent()


def test_only_a_hold_s_reservation_is_pending(wallet, coins):
    store = ledger.system_wallet(SystemWallet.STORE, coins)
    with pytest.raises(IntegrityError, match="only a hold's reservation"), transaction.atomic():
        Transaction.objects.create(
            currency=coins, debit_wallet=wallet, credit_wallet=store, amount=30,
            kind=Kind.SPEND, status=Status.PENDING, user_id=wallet.owner_id,
        )  # fmt: skip
    wallet.refresh_from_db()
    assert wallet.held == 0


def test_a_pending_reservation_never_fails_behind_its_hold_s_back(wallet):
    hold = place(wallet, 40)
    refused(
        "UPDATE ledger_transaction SET status = 'failed' WHERE id = %s",
        [hold.reservation_id],
        match="append-only",
    )
    wallet.refresh_from_db()
    assert wallet.held == 40
    holds.capture_hold(hold_id=hold.pk, amount=40)  # the hold still ends as it should
    assert_ledger_consistent()


def test_a_refund_reverses_a_completed_purchase_or_reward(wallet, coins):
    store = ledger.system_wallet(SystemWallet.STORE, coins)
    deposits = ledger.system_wallet(SystemWallet.DEPOSITS, coins)
    deposit = Transaction.objects.get(credit_wallet=wallet)
    purchase = Transaction.objects.create(
        currency=coins, debit_wallet=wallet, credit_wallet=store, amount=50, kind=Kind.PURCHASE,
        product=ProductFactory(price=50), quantity=1, unit_price=50, user_id=wallet.owner_id,
    )  # fmt: skip

    def refund(reversed, debit, amount):
        return Transaction.objects.create(
            currency=coins, debit_wallet=debit, credit_wallet=wallet, amount=amount,
            kind=Kind.REFUND, refund_of=reversed, user_id=wallet.owner_id,
        )  # fmt: skip

    for reversed, debit, amount in (
        (purchase, store, 51),  # more than it moved
        (purchase, deposits, 50),  # from another wallet than the one it paid
        (deposit, deposits, 100),  # a deposit is no purchase: nothing to refund
    ):
        with pytest.raises(IntegrityError, match="a refund reverses"), transaction.atomic():
            refund(reversed, debit, amount)
    refund(purchase, store, 50)
    wallet.refresh_from_db()
    assert wallet.balance == 100
    assert_ledger_consistent()


def test_a_wallet_keeps_its_id(wallet, coins):
    other = Wallet.objects.get(owner=UserFactory(funds=10), currency=coins)
    with pytest.raises(IntegrityError, match="keeps its id"), transaction.atomic():
        for old, new in ((wallet.pk, 10**9), (other.pk, wallet.pk), (10**9, other.pk)):
            sql("UPDATE ledger_wallet SET id = %s WHERE id = %s", [new, old])
    assert Wallet.objects.get(pk=wallet.pk).owner_id == wallet.owner_id
    assert_ledger_consistent()


def test_a_currency_keeps_its_id_and_its_code(wallet, coins):
    gems = CurrencyFactory(code="gems")
    refused("UPDATE catalog_currency SET code = 'gold' WHERE id = %s", [coins.pk], "its code")
    # Swapped inside one transaction, the ids would pass the deferred foreign keys and move
    # every wallet to the other currency.
    with pytest.raises(IntegrityError, match="keeps its id"), transaction.atomic():
        for old, new in ((coins.pk, 10**9), (gems.pk, coins.pk), (10**9, gems.pk)):
            sql("UPDATE catalog_currency SET id = %s WHERE id = %s", [new, old])
    assert Currency.objects.get(pk=coins.pk).code == coins.code
    assert Wallet.objects.get(pk=wallet.pk).currency_id == coins.pk
    # What a content manager edits still changes.
    sql("UPDATE catalog_currency SET name = 'Gold', max_balance = 5000 WHERE id = %s", [coins.pk])
    assert Currency.objects.get(pk=coins.pk).name == "Gold"


@pytest.mark.parametrize(
    "table",
    ["ledger_transaction", "ledger_wallet", "ledger_hold", "transfers_transfer", "events_event"],
)
def test_the_books_are_never_truncated(wallet, table):
    place(wallet, 10)
    rows = Transaction.objects.count()
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred check
    with pytest.raises(IntegrityError, match="never truncated"), transaction.atomic():
        sql("SET LOCAL economy.allow_truncate = off")  # what the test suite's flush sets
        sql(f"TRUNCATE {table} CASCADE")
    sql("SET CONSTRAINTS ALL DEFERRED")
    assert Transaction.objects.count() == rows
    assert_ledger_consistent()


def test_a_faucet_issues_a_sink_absorbs_and_escrow_only_reserves(wallet, coins):
    """The system wallets' roles: what an economy designer reads as faucets and sinks."""
    store = ledger.system_wallet(SystemWallet.STORE, coins)
    deposits = ledger.system_wallet(SystemWallet.DEPOSITS, coins)
    escrow = ledger.system_wallet(SystemWallet.HOLDS, coins)
    for debit, credit, kind, status in (
        (store, wallet, Kind.DEPOSIT, Status.COMPLETED),  # a sink paying out, not as a refund
        (wallet, deposits, Kind.SPEND, Status.COMPLETED),  # a faucet absorbing
        (escrow, wallet, Kind.DEPOSIT, Status.COMPLETED),  # escrow paying out
        (wallet, escrow, Kind.SPEND, Status.COMPLETED),  # escrow absorbing
        (wallet, escrow, Kind.HOLD, Status.COMPLETED),  # a capture into escrow
    ):
        with pytest.raises(IntegrityError, match="a faucet issues"), transaction.atomic():
            Transaction.objects.create(
                currency=coins, debit_wallet=debit, credit_wallet=credit, amount=5, kind=kind,
                status=status, user_id=wallet.owner_id,
            )  # fmt: skip
    wallet.refresh_from_db()
    assert wallet.balance == 100
    assert_ledger_consistent()
