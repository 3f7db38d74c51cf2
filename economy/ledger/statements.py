"""The lock of the player wallets, which every movement of currency takes, written as SQL once:
building it through the ORM (a filter of OR-ed pairs, select_for_update, order_by) on every
request was the largest cost of the money path's Python after the units' UPSERT
(docs/performance.md measures both ways). Every other query of the ledger goes through the ORM,
and the model stays the definition of the table.
"""

from collections.abc import Sequence

from django.db import connection
from django.db.transaction import TransactionManagementError

from .models import Wallet

# What the money path reads of a wallet; created_at is left deferred.
_WALLET_COLUMNS = ("id", "owner_id", "name", "currency_id", "balance", "held")


_LARGEST_ID = 2**63 - 1


def lock_player_wallets(pairs: Sequence[tuple[int, int]]) -> list[Wallet]:
    """The existing player wallets of these (owner id, currency id) pairs, locked until the
    transaction ends, in id order: what Wallet.objects.filter(...).order_by("pk")
    .select_for_update(no_key=True) sends. SQLite has no row locks and needs none: its
    IMMEDIATE transactions take the database's write lock at BEGIN."""
    if connection.get_autocommit():
        raise TransactionManagementError("Locking wallets outside a transaction locks nothing.")
    # An id beyond the database's integer range names no wallet (and SQLite cannot bind it).
    pairs = [pair for pair in pairs if max(pair) <= _LARGEST_ID]
    if not pairs:
        return []
    match = ", ".join(["(%s, %s)"] * len(pairs))
    sql = (
        f"SELECT {', '.join(_WALLET_COLUMNS)} FROM {Wallet._meta.db_table} "  # noqa: S608
        f"WHERE (owner_id, currency_id) IN ({match}) ORDER BY id"
    )
    if connection.features.has_select_for_update:
        sql += " " + connection.ops.for_update_sql(no_key=True)
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for pair in pairs for value in pair])
        rows = cursor.fetchall()
    return [Wallet.from_db(connection.alias, _WALLET_COLUMNS, row) for row in rows]
