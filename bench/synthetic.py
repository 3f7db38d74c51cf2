"""Synthetic ledger data for query plans and benchmarks; `make bench` uses it.

    DATABASE_URL=postgres://... .venv/bin/python bench/synthetic.py --count 1000000

PostgreSQL only: the rows are made by the database itself (INSERT ... SELECT generate_series),
never through Python objects, and the ledger's trigger applies each of them to its wallet, as
it does for the service's own rows. Everything is in the default currency, for players and
products of its own:

- one wallet per generated player, opened empty, as every wallet is;
- purchases of the generated products, player -> sink:store (completed, and ~10% failed
  `insufficient_funds` that move nothing), at their price (amount = quantity * unit_price),
  spread over the last `days` days with a skewed product choice, so that a few products are
  clearly popular;
- one completed deposit per player, faucet:deposits -> the player, dated just before its first
  purchase, of what its completed purchases cost plus a remainder of 1-1000. It is written
  before them, so no wallet ever has to go below 0.

So `manage.py reconcile_ledger` stays clean: each wallet holds its remainder, which its ledger
rows explain. Generated purchases are ledger rows only: the players' inventories stay empty.
This is data to measure queries with, not to play with.

`--bulk` (for millions of rows, on a scratch database only: its name must contain "bench")
writes the same rows faster: inside the one transaction, the ledger's triggers (the posting
trigger and the foreign keys' checks) are off while the rows go in, and each new wallet is then
set to what its rows say (its deposit less its completed purchases) with the wallet guard off
too. The rows are made from ids that exist, so no foreign key can be broken; the triggers are
back on before the transaction commits, and no other session ever sees them off (ALTER TABLE
holds an exclusive lock on both tables until the commit).
"""

import argparse
import os
import secrets
import sys
from pathlib import Path
from typing import NamedTuple

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from economy.catalog.models import Currency, Product, ProductType
from economy.ledger.models import SystemWallet, Wallet

User = get_user_model()


class InvalidInput(ValueError):
    pass


# What is to be bought, drawn once, before any row is written: the deposits are computed from it.
DRAW_SQL = """
    CREATE TEMPORARY TABLE synthetic_purchase ON COMMIT DROP AS
    SELECT r.user_id, r.wallet_id, p.id AS product_id, r.qty, p.price, r.failed, r.at
    FROM (
        SELECT (%(users)s::bigint[])[1 + (g %% %(user_count)s)] AS user_id,
               (%(wallets)s::bigint[])[1 + (g %% %(user_count)s)] AS wallet_id,
               -- squaring a uniform draw favours the first products: a clear top 5
               (%(products)s::bigint[])[
                   1 + floor(%(product_count)s * power(random(), 2))::int
               ] AS product_id,
               1 + floor(random() * 3)::int AS qty,
               random() < %(failed_ratio)s AS failed,
               now() - random() * %(days)s * interval '1 day' AS at
        FROM generate_series(1, %(rows)s) AS g
    ) AS r
    JOIN catalog_product AS p ON p.id = r.product_id
"""

# Each player's deposit: what its completed purchases cost plus a remainder, which is what its
# wallet ends up holding.
DRAW_DEPOSITS_SQL = """
    CREATE TEMPORARY TABLE synthetic_deposit ON COMMIT DROP AS
    SELECT user_id, wallet_id, spent + remainder AS amount, remainder, first_at
    FROM (
        SELECT user_id, wallet_id,
               coalesce(sum(qty * price) FILTER (WHERE NOT failed), 0) AS spent,
               1 + floor(random() * 1000)::bigint AS remainder,
               min(at) AS first_at
        FROM synthetic_purchase
        GROUP BY user_id, wallet_id
    ) AS s
"""

DEPOSITS_SQL = """
    INSERT INTO ledger_transaction
        (currency_id, debit_wallet_id, credit_wallet_id, amount, kind, status, user_id,
         failure_reason, reason, idempotency_key, created_at)
    SELECT %(currency)s, %(faucet)s, wallet_id, amount, 'deposit', 'completed', user_id,
           '', 'Synthetic data (bench/synthetic.py)', '', first_at - interval '1 minute'
    FROM synthetic_deposit
"""

PURCHASES_SQL = """
    INSERT INTO ledger_transaction
        (currency_id, debit_wallet_id, credit_wallet_id, amount, kind, status, user_id,
         product_id, quantity, unit_price, failure_reason, reason, idempotency_key, created_at)
    SELECT %(currency)s, wallet_id, %(store)s, qty * price, 'purchase',
           CASE WHEN failed THEN 'failed' ELSE 'completed' END, user_id,
           product_id, qty, price,
           CASE WHEN failed THEN 'insufficient_funds' ELSE '' END, '', '', at
    FROM synthetic_purchase
"""
# Through the trigger: a player's rows one after another, in time order: the trigger updates
# its wallet row once per completed purchase, in half the time when the updates follow each
# other. In bulk: in time order, as the service appends them, so that a player's history is
# spread over the table as it would be.
BY_WALLET = " ORDER BY wallet_id, at"
BY_TIME = " ORDER BY at"

# --bulk only, with the ledger's triggers off: what the posting trigger would have left in each
# new wallet (they open empty).
SET_BALANCES_SQL = """
    UPDATE ledger_wallet AS w SET balance = d.remainder
    FROM synthetic_deposit AS d
    WHERE w.id = d.wallet_id
"""

# The foreign keys' deferred checks pending so far (the new wallets') run first: a table with
# pending trigger events cannot be altered.
TRIGGERS_OFF = (
    "SET CONSTRAINTS ALL IMMEDIATE",
    "ALTER TABLE ledger_transaction DISABLE TRIGGER ALL",
    "ALTER TABLE ledger_wallet DISABLE TRIGGER ledger_guard_wallet",
)
TRIGGERS_ON = (
    "SET CONSTRAINTS ALL IMMEDIATE",
    "ALTER TABLE ledger_transaction ENABLE TRIGGER ALL",
    "ALTER TABLE ledger_wallet ENABLE TRIGGER ledger_guard_wallet",
)


class Generated(NamedTuple):
    tag: str
    users: int
    products: int
    purchases: int
    deposits: int


def generate_transactions(*, count, users=None, products=50, days=90, failed_ratio=0.1, bulk=False):
    """Add `count` ledger rows (purchases, and one deposit per new player before them) for new
    players and products, each wallet holding what its rows say. All or nothing: one
    transaction. With `bulk`, the triggers are off while the rows go in and the wallets are
    set after (a scratch database only). Then VACUUM ANALYZE the ledger, so plans see fresh
    statistics and index-only scans work."""
    if connection.vendor != "postgresql":
        raise InvalidInput("bench/synthetic.py needs PostgreSQL (set DATABASE_URL).")
    if bulk and "bench" not in connection.settings_dict["NAME"]:
        raise InvalidInput("--bulk turns the ledger's triggers off: a scratch database only.")
    if count < 2:
        raise InvalidInput("Generate at least 2 rows (a deposit and a purchase).")
    if not 1 <= days <= 3650 or products < 1 or not 0 <= failed_ratio < 1:
        raise InvalidInput("days must be 1-3650, products >= 1, failed ratio in [0, 1).")
    user_count = max(1, min(users or count // 100, count // 2))
    tag = secrets.token_hex(3)
    currency = Currency.objects.get(is_default=True)

    with transaction.atomic():
        new_products = _create_products(tag, products, currency)
        new_users = User.objects.bulk_create(
            (
                User(username=f"gen-{tag}-{i + 1}", password=make_password(None))
                for i in range(user_count)
            ),
            batch_size=5000,
        )
        wallets = Wallet.objects.bulk_create(
            (Wallet(owner=user, currency=currency) for user in new_users), batch_size=5000
        )
        params = {
            "users": [user.pk for user in new_users],
            "wallets": [wallet.pk for wallet in wallets],
            "user_count": user_count,
            "products": [product.pk for product in new_products],
            "product_count": products,
            "failed_ratio": failed_ratio,
            "days": days,
            "rows": count - user_count,
            "currency": currency.pk,
            "faucet": _system_wallet(SystemWallet.DEPOSITS, currency),
            "store": _system_wallet(SystemWallet.STORE, currency),
        }
        with connection.cursor() as cursor:
            cursor.execute(DRAW_SQL, params)
            cursor.execute(DRAW_DEPOSITS_SQL)
            for statement in TRIGGERS_OFF if bulk else ():
                cursor.execute(statement)
            cursor.execute(DEPOSITS_SQL, params)
            deposits = cursor.rowcount
            cursor.execute(PURCHASES_SQL + (BY_TIME if bulk else BY_WALLET), params)
            purchases = cursor.rowcount
            if bulk:
                cursor.execute(SET_BALANCES_SQL)
                for statement in TRIGGERS_ON:
                    cursor.execute(statement)

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE ledger_transaction")
        cursor.execute("VACUUM ANALYZE ledger_wallet")
    return Generated(tag, user_count, products, purchases, deposits)


def _create_products(tag, count, currency):
    return Product.objects.bulk_create(
        Product(
            name=f"Generated {tag} #{i + 1}",
            description="Synthetic data (bench/synthetic.py).",
            price=10 + (i * 37) % 490,
            price_currency=currency,
            type=ProductType.CONSUMABLE,
        )
        for i in range(count)
    )


def _system_wallet(name, currency):
    wallet, _ = Wallet.objects.get_or_create(owner=None, name=name, currency=currency)
    return wallet.pk


def main():
    parser = argparse.ArgumentParser(
        description="Add COUNT synthetic ledger rows on PostgreSQL with INSERT ... SELECT "
        "generate_series, for EXPLAIN and benchmarks. It creates its own players (COUNT/100 by "
        "default), their wallets and consumable products, never touching existing ones; each "
        "wallet holds what its ledger rows say. Inventories are not filled."
    )
    parser.add_argument("--count", type=int, required=True, help="rows to add")
    parser.add_argument("--users", type=int, help="players to create (default COUNT/100)")
    parser.add_argument("--products", type=int, default=50, help="products to create")
    parser.add_argument("--days", type=int, default=90, help="spread rows over N days")
    parser.add_argument("--failed-ratio", type=float, default=0.1, help="share of failed rows")
    parser.add_argument(
        "--bulk",
        action="store_true",
        help="triggers off while the rows go in, wallets set after (scratch databases only)",
    )
    args = parser.parse_args()
    try:
        result = generate_transactions(
            count=args.count,
            users=args.users,
            products=args.products,
            days=args.days,
            failed_ratio=args.failed_ratio,
            bulk=args.bulk,
        )
    except InvalidInput as exc:
        sys.exit(str(exc))
    print(
        f"Added {result.purchases + result.deposits} ledger rows ({result.purchases} purchases, "
        f"{result.deposits} deposits) for {result.users} new players (gen-{result.tag}-*) and "
        f"{result.products} new products (Generated {result.tag})."
    )


if __name__ == "__main__":
    main()
