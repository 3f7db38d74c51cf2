"""Synthetic ledger data for query plans and benchmarks; `make bench` uses it.

    DATABASE_URL=postgres://... .venv/bin/python bench/synthetic.py --count 1000000

PostgreSQL only: the rows are made by the database itself (INSERT ... SELECT generate_series),
about a million a minute or faster, never through Python objects.

The ledger invariant holds for every generated user, as it does for real ones:
- purchases (completed and ~10% failed `insufficient_funds`) of the generated products, at
  their current price (amount = quantity * unit_price), spread over the last `days` days with
  a skewed product choice, so that a few products are clearly popular;
- one completed `deposit` per generated user, dated just before its first purchase, of what
  its completed purchases cost plus a random remainder of 1-1000;
- the user's balance set to its ledger sum (that remainder), in the same transaction.

Generated purchases are ledger rows only: the generated users' inventories stay empty. This
is data to measure queries with, not to play with.
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

from economy.catalog.models import Product, ProductType

User = get_user_model()


class InvalidInput(ValueError):
    pass


PURCHASES_SQL = """
    INSERT INTO ledger_transaction
        (user_id, product_id, kind, amount, quantity, unit_price, status, failure_reason,
         reason, idempotency_key, created_at)
    SELECT r.user_id, p.id, 'purchase', p.price * r.qty, r.qty, p.price,
           CASE WHEN r.failed THEN 'failed' ELSE 'completed' END,
           CASE WHEN r.failed THEN 'insufficient_funds' ELSE '' END,
           '', '', r.at
    FROM (
        SELECT (%(users)s::bigint[])[1 + (g %% %(user_count)s)] AS user_id,
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

DEPOSITS_SQL = """
    INSERT INTO ledger_transaction
        (user_id, product_id, kind, amount, quantity, unit_price, status, failure_reason,
         reason, idempotency_key, created_at)
    SELECT u.id, NULL, 'deposit', coalesce(s.spent, 0) + 1 + floor(random() * 1000)::bigint,
           NULL, NULL, 'completed', '', '', '',
           coalesce(s.first_at, now()) - interval '1 minute'
    FROM unnest(%(users)s::bigint[]) AS u(id)
    LEFT JOIN (
        SELECT user_id,
               sum(amount) FILTER (WHERE status = 'completed') AS spent,
               min(created_at) AS first_at
        FROM ledger_transaction
        WHERE user_id = ANY(%(users)s::bigint[])
        GROUP BY user_id
    ) AS s ON s.user_id = u.id
"""

BALANCES_SQL = """
    UPDATE accounts_user AS u SET balance = t.total
    FROM (
        SELECT user_id,
               sum(CASE WHEN kind = 'purchase' THEN -amount ELSE amount END) AS total
        FROM ledger_transaction
        WHERE status = 'completed' AND user_id = ANY(%(users)s::bigint[])
        GROUP BY user_id
    ) AS t
    WHERE u.id = t.user_id
"""


class Generated(NamedTuple):
    tag: str
    users: int
    products: int
    purchases: int
    deposits: int


def generate_transactions(*, count, users=None, products=50, days=90, failed_ratio=0.1):
    """Add `count` ledger rows (purchases and one deposit per new user) for new users and
    products, keeping balance == ledger for each of them. All or nothing: one transaction.
    Then VACUUM ANALYZE the ledger, so plans see fresh statistics and index-only scans work.
    """
    if connection.vendor != "postgresql":
        raise InvalidInput("bench/synthetic.py needs PostgreSQL (set DATABASE_URL).")
    if count < 2:
        raise InvalidInput("Generate at least 2 rows (a deposit and a purchase).")
    if not 1 <= days <= 3650 or products < 1 or not 0 <= failed_ratio < 1:
        raise InvalidInput("days must be 1-3650, products >= 1, failed ratio in [0, 1).")
    user_count = max(1, min(users or count // 100, count // 2))
    tag = secrets.token_hex(3)
    password = make_password(None)

    with transaction.atomic():
        new_products = Product.objects.bulk_create(
            Product(
                name=f"Generated {tag} #{i + 1}",
                description="Synthetic data (bench/synthetic.py).",
                price=10 + (i * 37) % 490,
                type=ProductType.CONSUMABLE,
            )
            for i in range(products)
        )
        new_users = User.objects.bulk_create(
            (User(username=f"gen-{tag}-{i + 1}", password=password) for i in range(user_count)),
            batch_size=5000,
        )
        params = {
            "users": [user.pk for user in new_users],
            "user_count": user_count,
            "products": [product.pk for product in new_products],
            "product_count": products,
            "failed_ratio": failed_ratio,
            "days": days,
            "rows": count - user_count,
        }
        with connection.cursor() as cursor:
            cursor.execute(PURCHASES_SQL, params)
            purchases = cursor.rowcount
            cursor.execute(DEPOSITS_SQL, params)
            deposits = cursor.rowcount
            cursor.execute(BALANCES_SQL, params)

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE ledger_transaction")
    return Generated(tag, user_count, products, purchases, deposits)


def main():
    parser = argparse.ArgumentParser(
        description="Add COUNT synthetic ledger rows on PostgreSQL in one INSERT ... SELECT "
        "generate_series, for EXPLAIN and benchmarks. It creates its own users (COUNT/100 by "
        "default) and consumable products, never touching existing ones; the ledger invariant "
        "holds for each of them. Inventories are not filled."
    )
    parser.add_argument("--count", type=int, required=True, help="rows to add")
    parser.add_argument("--users", type=int, help="users to create (default COUNT/100)")
    parser.add_argument("--products", type=int, default=50, help="products to create")
    parser.add_argument("--days", type=int, default=90, help="spread rows over N days")
    parser.add_argument("--failed-ratio", type=float, default=0.1, help="share of failed rows")
    args = parser.parse_args()
    try:
        result = generate_transactions(
            count=args.count,
            users=args.users,
            products=args.products,
            days=args.days,
            failed_ratio=args.failed_ratio,
        )
    except InvalidInput as exc:
        sys.exit(str(exc))
    print(
        f"Added {result.purchases + result.deposits} ledger rows ({result.purchases} purchases, "
        f"{result.deposits} deposits) for {result.users} new users (gen-{result.tag}-*) and "
        f"{result.products} new products (Generated {result.tag})."
    )


if __name__ == "__main__":
    main()
