"""The embedded default (`make run`, SQLite) holds the ledger's invariants too: a scratch
SQLite database is migrated and used through the services by a real `manage.py` process, then
each forbidden write is tried on it directly (migrations/sql/0006_invariants.sqlite.sql and
0007_holds.sqlite.sql, and the catalog's)."""

import json
import sqlite3

import pytest

from tests.support.processes import manage_on_sqlite as manage

pytestmark = pytest.mark.slow

USE_THE_SERVICES = """
import json
from economy.catalog.models import Currency, Product
from economy.inventory import services as inventory
from economy.ledger import services as ledger
from economy.accounts.models import User
from economy.ledger.models import Wallet
from economy.ledger.selectors import currency_sums, wallet_drift

player = User.objects.get(username="demo")
potion = Product.objects.get(name="Health potion")
purchase = inventory.purchase_product(user_id=player.pk, product_id=potion.pk, quantity=2)
inventory.refund_purchase(transaction_id=purchase.transaction.pk, reason="test")
gems = Currency.objects.get(code="gems")
ledger.spend(user_id=player.pk, amount=3, currency=gems, sink="sink:crafting")
from datetime import timedelta
from django.utils import timezone
from economy.ledger import holds
soon = timezone.now() + timedelta(minutes=5)
coins = Currency.objects.get(is_default=True)
pending = holds.place_hold(user_id=player.pk, amount=7, currency=coins, expires_at=soon).hold
captured = holds.place_hold(user_id=player.pk, amount=9, currency=coins, expires_at=soon).hold
holds.capture_hold(hold_id=captured.pk, amount=4)
pack = inventory.purchase_product(
    user_id=player.pk, product_id=Product.objects.get(name="Starter pack").pk
)
inventory.purchase_product(
    user_id=player.pk, product_id=Product.objects.get(name="Premium pass (30 days)").pk
)
inventory.use_product(user_id=player.pk, product_id=Product.objects.get(name="Буст на день").pk)
inventory.refund_purchase(transaction_id=pack.transaction.pk, reason="test")
print(json.dumps({
    "bundle": pack.transaction.product_id,
    "pending_hold": pending.pk,
    "captured_hold": captured.pk,
    "wallet": Wallet.objects.get(owner=player, currency__is_default=True).pk,
    "gems_wallet": Wallet.objects.get(owner=player, currency=gems).pk,
    "gems": gems.pk,
    "drift": len(wallet_drift()),
    "sums": currency_sums(),
}))
"""


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A migrated SQLite database with demo data, used by the services: its ids as JSON."""
    path = tmp_path_factory.mktemp("sqlite") / "economy.sqlite3"
    manage("migrate", "--verbosity", "0", database=path)
    manage("seed_demo", database=path)
    state = json.loads(manage("shell", "-c", USE_THE_SERVICES, database=path).splitlines()[-1])
    return path, state


@pytest.fixture
def sqlite(database):
    path, state = database
    connection = sqlite3.connect(path, isolation_level=None)
    yield connection, state
    connection.close()


def refused(connection, statement, params=()):
    with pytest.raises(sqlite3.IntegrityError):
        connection.execute(statement, params)


def test_the_services_leave_the_books_right(database):
    _, state = database
    assert state["drift"] == 0
    assert set(state["sums"].values()) == {0}


def test_the_catalogs_rules_are_refused_when_broken_directly(sqlite):
    connection, state = sqlite
    product = "UPDATE catalog_product SET {} WHERE id = ?"
    refused(connection, product.format("purchase_limit = 0"), [state["bundle"]])
    refused(connection, product.format("limit_period = 'month'"), [state["bundle"]])
    refused(connection, product.format("duration = 0"), [state["bundle"]])
    refused(
        connection,
        product.format("available_from = '2027-01-02', available_until = '2027-01-01'"),
        [state["bundle"]],
    )
    refused(
        connection,
        "INSERT INTO catalog_itemgrant (bundle_id, product_id, quantity) VALUES (?, ?, 1)",
        [state["bundle"], state["bundle"]],
    )


def test_a_balance_never_changes_without_a_ledger_row(sqlite):
    connection, state = sqlite
    refused(
        connection,
        "UPDATE ledger_wallet SET balance = balance + 10 WHERE id = ?",
        [state["wallet"]],
    )
    refused(connection, "UPDATE ledger_wallet SET held = 1 WHERE id = ?", [state["wallet"]])


def test_a_wallet_never_goes_below_zero_available(sqlite):
    connection, state = sqlite
    sink = connection.execute(
        "SELECT id FROM ledger_wallet WHERE name = 'sink:crafting'"
    ).fetchone()[0]
    (user,) = connection.execute(
        "SELECT owner_id FROM ledger_wallet WHERE id = ?", [state["gems_wallet"]]
    ).fetchone()
    refused(
        connection,
        "INSERT INTO ledger_transaction (currency_id, debit_wallet_id, credit_wallet_id, amount,"
        " kind, status, user_id, failure_reason, reason, idempotency_key, created_at)"
        " VALUES (?, ?, ?, 1000000, 'spend', 'completed', ?, '', '', '', datetime('now'))",
        [state["gems"], state["gems_wallet"], sink, user],
    )


def test_a_balance_above_the_currency_maximum_is_refused(sqlite):
    connection, state = sqlite
    grants = connection.execute(
        "SELECT id FROM ledger_wallet WHERE name = 'faucet:grants' AND currency_id = ?",
        [state["gems"]],
    ).fetchone()[0]
    (user,) = connection.execute(
        "SELECT owner_id FROM ledger_wallet WHERE id = ?", [state["gems_wallet"]]
    ).fetchone()
    refused(
        connection,
        "INSERT INTO ledger_transaction (currency_id, debit_wallet_id, credit_wallet_id, amount,"
        " kind, status, user_id, failure_reason, reason, idempotency_key, created_at)"
        " VALUES (?, ?, ?, 100000, 'adjustment', 'completed', ?, '', '', '', datetime('now'))",
        [state["gems"], grants, state["gems_wallet"], user],
    )


def test_a_movement_never_crosses_currencies(sqlite):
    connection, state = sqlite
    (user,) = connection.execute(
        "SELECT owner_id FROM ledger_wallet WHERE id = ?", [state["wallet"]]
    ).fetchone()
    refused(
        connection,
        "INSERT INTO ledger_transaction (currency_id, debit_wallet_id, credit_wallet_id, amount,"
        " kind, status, user_id, failure_reason, reason, idempotency_key, created_at)"
        " VALUES (?, ?, ?, 1, 'spend', 'completed', ?, '', '', '', datetime('now'))",
        [state["gems"], state["wallet"], state["gems_wallet"], user],
    )


def test_ledger_rows_are_append_only(sqlite):
    connection, _ = sqlite
    (row,) = connection.execute(
        "SELECT id FROM ledger_transaction WHERE status = 'completed' LIMIT 1"
    ).fetchone()
    refused(connection, "UPDATE ledger_transaction SET amount = amount + 1 WHERE id = ?", [row])
    refused(connection, "UPDATE ledger_transaction SET status = 'voided' WHERE id = ?", [row])
    refused(connection, "DELETE FROM ledger_transaction WHERE id = ?", [row])


def test_holds_change_once_and_only_in_their_outcome(sqlite, database):
    connection, state = sqlite
    assert state["drift"] == 0  # held matches the pending hold, after a partial capture
    refused(connection, "UPDATE ledger_hold SET amount = 1 WHERE id = ?", [state["pending_hold"]])
    refused(connection, "DELETE FROM ledger_hold WHERE id = ?", [state["pending_hold"]])
    refused(
        connection,
        "UPDATE ledger_hold SET status = 'voided' WHERE id = ?",
        [state["captured_hold"]],
    )


LEDGER_ROW = (
    "INSERT {} INTO ledger_transaction (id, currency_id, debit_wallet_id, credit_wallet_id,"
    " amount, kind, status, user_id, refund_of_id, failure_reason, reason, idempotency_key,"
    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', datetime('now'))"
)


def test_a_row_that_is_ignored_moves_nothing(sqlite):
    connection, state = sqlite
    (row, user) = connection.execute(
        "SELECT id, user_id FROM ledger_transaction WHERE credit_wallet_id = ? LIMIT 1",
        [state["wallet"]],
    ).fetchone()
    (faucet,) = connection.execute(
        "SELECT debit_wallet_id FROM ledger_transaction WHERE id = ?", [row]
    ).fetchone()
    before = connection.execute("SELECT balance FROM ledger_wallet WHERE id = ?", [state["wallet"]])
    connection.execute(
        LEDGER_ROW.format("OR IGNORE"),
        [row, 1, faucet, state["wallet"], 5000, "deposit", "completed", user, None],
    )
    after = connection.execute("SELECT balance FROM ledger_wallet WHERE id = ?", [state["wallet"]])
    assert after.fetchone() == before.fetchone()


def test_only_a_hold_s_reservation_is_pending_and_only_its_hold_ends_it(sqlite):
    connection, state = sqlite
    (reservation, wallet, escrow, user, currency) = connection.execute(
        "SELECT row.id, row.debit_wallet_id, row.credit_wallet_id, row.user_id, row.currency_id"
        " FROM ledger_hold JOIN ledger_transaction AS row ON row.id = ledger_hold.reservation_id"
        " WHERE ledger_hold.id = ?",
        [state["pending_hold"]],
    ).fetchone()
    refused(
        connection,
        LEDGER_ROW.format(""),
        [None, currency, wallet, escrow, 5, "spend", "pending", user, None],
    )
    refused(
        connection, "UPDATE ledger_transaction SET status = 'failed' WHERE id = ?", [reservation]
    )


def test_a_refund_reverses_a_completed_purchase_or_reward(sqlite):
    connection, _ = sqlite
    (purchase, buyer, store, user, currency, amount) = connection.execute(
        "SELECT id, debit_wallet_id, credit_wallet_id, user_id, currency_id, amount"
        " FROM ledger_transaction WHERE kind = 'purchase' AND status = 'completed'"
        " AND id NOT IN (SELECT refund_of_id FROM ledger_transaction WHERE kind = 'refund')"
        " LIMIT 1"
    ).fetchone()
    refused(
        connection,
        LEDGER_ROW.format(""),
        [None, currency, store, buyer, amount + 1, "refund", "completed", user, purchase],
    )


def test_a_wallet_keeps_its_id(sqlite):
    connection, state = sqlite
    refused(connection, "UPDATE ledger_wallet SET id = 1000000 WHERE id = ?", [state["wallet"]])


def test_a_currency_keeps_its_id_and_its_code(sqlite):
    connection, state = sqlite
    refused(connection, "UPDATE catalog_currency SET code = 'gold' WHERE id = ?", [state["gems"]])
    refused(connection, "UPDATE catalog_currency SET id = 1000000 WHERE id = ?", [state["gems"]])
    connection.execute(
        "UPDATE catalog_currency SET name = name || '' WHERE id = ?", [state["gems"]]
    )


def test_an_event_never_changes_but_for_its_position_given_once(sqlite):
    connection, _ = sqlite
    event = connection.execute(
        "INSERT INTO events_event (type, payload, created_at) VALUES"
        " ('deposit.completed', '{}', datetime('now'))"
    ).lastrowid
    refused(connection, "DELETE FROM events_event WHERE id = ?", [event])  # not in the feed
    connection.execute("UPDATE events_event SET position = 1000000 WHERE id = ?", [event])
    refused(connection, "UPDATE events_event SET payload = '{\"n\": 1}' WHERE id = ?", [event])
    refused(connection, "UPDATE events_event SET position = 1000001 WHERE id = ?", [event])
    connection.execute("DELETE FROM events_event WHERE id = ?", [event])  # the retention's purge


def test_a_faucet_issues_a_sink_absorbs_and_escrow_only_reserves(sqlite):
    connection, state = sqlite
    (user,) = connection.execute(
        "SELECT owner_id FROM ledger_wallet WHERE id = ?", [state["wallet"]]
    ).fetchone()
    (currency,) = connection.execute(
        "SELECT currency_id FROM ledger_wallet WHERE id = ?", [state["wallet"]]
    ).fetchone()

    def system(name):
        return connection.execute(
            "SELECT id FROM ledger_wallet WHERE name = ? AND currency_id = ?", [name, currency]
        ).fetchone()[0]

    for debit, credit, kind in (
        (system("sink:store"), state["wallet"], "deposit"),
        (state["wallet"], system("faucet:deposits"), "spend"),
        (system("escrow:holds"), state["wallet"], "deposit"),
    ):
        refused(
            connection,
            LEDGER_ROW.format(""),
            [None, currency, debit, credit, 5, kind, "completed", user, None],
        )
