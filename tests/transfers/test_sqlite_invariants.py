"""The embedded default (`make run`, SQLite) holds the transfers' invariants too: a scratch SQLite
database is migrated and used through the services by a real `manage.py` process, then each
forbidden write is tried on it directly (migrations/sql/0002_append_only.sqlite.sql)."""

import json
import sqlite3

import pytest

from tests.support.processes import manage_on_sqlite as manage

pytestmark = pytest.mark.slow

USE_THE_SERVICES = """
import json
from economy.accounts.models import User
from economy.catalog.models import Currency, Product
from economy.inventory import services as inventory
from economy.ledger import services as ledger
from economy.ledger.selectors import currency_sums, wallet_drift
from economy.transfers import services as transfers

coins = Currency.objects.get(is_default=True)
alice = User.objects.create_user(username="alice", email="alice@example.com")
bob = User.objects.create_user(username="bob", email="bob@example.com")
ledger.add_funds(user_id=alice.pk, amount=500, currency=coins)
potion = Product.objects.create(name="Potion", price=10, price_currency=coins, type="consumable")
inventory.purchase_product(user_id=alice.pk, product_id=potion.pk, quantity=3)
money = transfers.transfer_currency(
    from_user_id=alice.pk, to_user_id=bob.pk, currency=coins, amount=40, actor=alice, trusted=True
)
items = transfers.transfer_items(
    from_user_id=alice.pk, to_user_id=bob.pk, product_id=potion.pk, quantity=2, actor=alice,
    trusted=True,
)
print(json.dumps({
    "money": money.transfer.pk,
    "items": items.transfer.pk,
    "spend": ledger.spend(user_id=bob.pk, amount=1, currency=coins).transaction.pk,
    "alice": alice.pk,
    "bob": bob.pk,
    "coins": coins.pk,
    "balances": [money.sender.balance, money.receiver.balance],
    "held": [items.sender.quantity, items.receiver.quantity],
    "drift": len(wallet_drift()),
    "sums": currency_sums(),
}))
"""


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A migrated SQLite database the services made two transfers in: its ids as JSON."""
    path = tmp_path_factory.mktemp("sqlite") / "economy.sqlite3"
    manage("migrate", "--verbosity", "0", database=path)
    state = json.loads(manage("shell", "-c", USE_THE_SERVICES, database=path).splitlines()[-1])
    return path, state


@pytest.fixture
def sqlite(database):
    path, state = database
    connection = sqlite3.connect(path, isolation_level=None)
    yield connection, state
    connection.close()


def refused(connection, statement, params=(), match="transfers:"):
    with pytest.raises(sqlite3.IntegrityError, match=match):
        connection.execute(statement, params)


def test_the_services_move_both_shapes_on_sqlite(database):
    _, state = database
    assert state["balances"] == [430, 40]  # 500, less 3 potions, less the 40 sent
    assert state["held"] == [1, 2]
    assert state["drift"] == 0
    assert set(state["sums"].values()) == {0}


@pytest.mark.parametrize("which", ["money", "items"])
def test_a_transfer_is_never_updated_nor_deleted(sqlite, which):
    connection, state = sqlite
    transfer = state[which]
    refused(connection, "UPDATE transfers_transfer SET reason = 'x' WHERE id = ?", [transfer])
    refused(connection, "DELETE FROM transfers_transfer WHERE id = ?", [transfer])
    assert connection.execute(
        "SELECT reason FROM transfers_transfer WHERE id = ?", [transfer]
    ).fetchone() == ("",)


def test_a_currency_transfer_must_be_its_ledger_row(sqlite):
    connection, state = sqlite
    insert = (
        "INSERT INTO transfers_transfer (from_user_id, to_user_id, currency_id, amount, "
        "transaction_id, reason, idempotency_key, created_at) "
        "VALUES (?, ?, ?, ?, ?, '', '', '2026-01-01')"
    )
    alice, bob, coins, spend = state["alice"], state["bob"], state["coins"], state["spend"]
    # A spend is not a transfer.
    refused(connection, insert, [bob, alice, coins, 1, spend], match="its completed ledger row")
