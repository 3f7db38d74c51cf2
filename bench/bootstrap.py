"""The Django side of `make bench`: seed the scratch database, count statements per request,
time the popular-products aggregate. Run by bench/run.py with the bench environment set
(production settings, the scratch DATABASE_URL, Redis DB 13); never against a real database.

    python bench/bootstrap.py seed --out DIR
    python bench/bootstrap.py warm-inventory --fixture DIR/fixture.json
    python bench/bootstrap.py sql-counts --fixture DIR/fixture.json
    python bench/bootstrap.py popular --fixture DIR/fixture.json --rows 1000000 [--url URL]

Each subcommand prints one JSON object on its last line of stdout.
"""

import argparse
import json
import os
import statistics
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if "economy_bench" not in os.environ.get("DATABASE_URL", "") and not os.environ.get(
    "BENCH_ALLOW_ANY_DB"
):
    sys.exit("bench/bootstrap.py runs against the scratch database only (economy_bench).")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Permission  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from economy.catalog.models import Product, ProductType  # noqa: E402
from economy.inventory import selectors  # noqa: E402
from economy.inventory.models import InventoryItem  # noqa: E402
from economy.ledger.models import Kind, Status, Transaction  # noqa: E402

try:  # absent from the revisions the bench measures as a baseline
    from bench import synthetic as SYNTHETIC
except ImportError:
    SYNTHETIC = None

User = get_user_model()

START_BALANCE = 10**12
POPULAR_PATH = "/api/v1/analytics/popular-products"
# What every seeded player already holds, with the ledger rows that explain it, so that an
# inventory read serialises a realistic mix and the balances reconcile.
SEED_HOLDINGS = (("potion", 3), ("sword", 1), ("elixir", 2))


def emit(data):
    print(json.dumps(data, default=str))


# --- seed --------------------------------------------------------------------------------------
def _make_users(prefix, count, password):
    users = User.objects.bulk_create(
        [
            User(
                username=f"{prefix}{i:04d}",
                email=f"{prefix}{i:04d}@bench.invalid",
                password=password,
                balance=START_BALANCE,
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    tokens = Token.objects.bulk_create(
        [Token(user=user, key=Token.generate_key()) for user in users], batch_size=1000
    )
    Transaction.objects.bulk_create(
        [
            Transaction(
                user=user,
                kind=Kind.DEPOSIT,
                amount=START_BALANCE,
                status=Status.COMPLETED,
                idempotency_key="bench-seed",
            )
            for user in users
        ],
        batch_size=1000,
    )
    return users, tokens


def seed(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    password = make_password("bench-password")
    products = {
        "potion": Product.objects.create(
            name="Bench potion", price=1, type=ProductType.CONSUMABLE, description="Heals a bit."
        ),
        "elixir": Product.objects.create(
            name="Bench elixir", price=5, type=ProductType.CONSUMABLE, description="Heals more."
        ),
        "sword": Product.objects.create(
            name="Bench sword", price=100, type=ProductType.PERMANENT, description="Sharp."
        ),
        "retired": Product.objects.create(
            name="Bench retired hat", price=7, type=ProductType.PERMANENT, is_active=False
        ),
    }
    players, tokens = _make_users("bench", args.users, password)
    (hot,), (hot_token,) = _make_users("benchhot", 1, password)
    (backend,), (backend_token,) = _make_users("benchbackend", 1, password)
    backend.user_permissions.add(Permission.objects.get(codename="add_funds"))

    items, purchases = [], []
    for user in players:
        for name, quantity in SEED_HOLDINGS:
            product = products[name]
            items.append(InventoryItem(user=user, product=product, quantity=quantity))
            purchases.append(
                Transaction(
                    user=user,
                    product=product,
                    kind=Kind.PURCHASE,
                    amount=product.price * quantity,
                    quantity=quantity,
                    unit_price=product.price,
                    status=Status.COMPLETED,
                )
            )
    InventoryItem.objects.bulk_create(items, batch_size=2000)
    Transaction.objects.bulk_create(purchases, batch_size=2000)
    spent = sum(products[name].price * quantity for name, quantity in SEED_HOLDINGS)
    User.objects.filter(pk__in=[u.pk for u in players]).update(balance=START_BALANCE - spent)

    # wrk's Lua reads "user_id token" lines.
    (out / "tokens.txt").write_text(
        "".join(f"{t.user_id} {t.key}\n" for t in tokens), encoding="ascii"
    )
    fixture = {
        "products": {name: p.pk for name, p in products.items()},
        "users": len(players),
        "first_user_id": players[0].pk,
        "last_user_id": players[-1].pk,
        "hot_user": {"id": hot.pk, "token": hot_token.key},
        "backend": {"id": backend.pk, "token": backend_token.key},
        "tokens_file": str(out / "tokens.txt"),
    }
    (out / "fixture.json").write_text(json.dumps(fixture, indent=2))
    emit(fixture)


def warm_inventory(args):
    """Fill every player's inventory cache, so the cache-hit scenario really hits."""
    fixture = json.loads(Path(args.fixture).read_text())
    started = time.perf_counter()
    for user_id in range(fixture["first_user_id"], fixture["last_user_id"] + 1):
        selectors.inventory_for_user(user_id=user_id)
    emit({"warmed": fixture["users"], "seconds": round(time.perf_counter() - started, 2)})


# --- statements per request ------------------------------------------------------------------
class RoundTrips:
    """Counts what reaches the servers, below Django: every statement psycopg sends (the
    connection health check and savepoints included), each COMMIT/ROLLBACK, and every Redis
    command."""

    def __init__(self):
        import psycopg
        import redis

        self.targets = [
            (psycopg.Cursor, "execute", "sql"),
            (psycopg.Cursor, "executemany", "sql"),
            (psycopg.Connection, "commit", "tx_end"),
            (psycopg.Connection, "rollback", "tx_end"),
            (redis.Redis, "execute_command", "redis"),
        ]
        self.counts = {}
        self.originals = []

    def __enter__(self):
        self.counts = {"sql": 0, "tx_end": 0, "redis": 0}
        for cls, name, bucket in self.targets:
            original = getattr(cls, name)
            self.originals.append((cls, name, original))

            def counted(*a, _original=original, _bucket=bucket, **kw):
                self.counts[_bucket] += 1
                return _original(*a, **kw)

            setattr(cls, name, counted)
        return self

    def __exit__(self, *exc):
        for cls, name, original in self.originals:
            setattr(cls, name, original)
        self.originals = []


def _measure(client, method, path, token=None, body=None, headers=None):
    extra = {"HTTP_HOST": "127.0.0.1"}
    if token:
        extra["HTTP_AUTHORIZATION"] = f"Token {token}"
    for name, value in (headers or {}).items():
        extra["HTTP_" + name.upper().replace("-", "_")] = value
    # Each request starts as in a gunicorn worker that has served one before: connection open.
    connection.ensure_connection()
    with CaptureQueriesContext(connection) as queries, RoundTrips() as trips:
        # What request_started does under gunicorn (the test client skips it): with
        # CONN_HEALTH_CHECKS the first query of the request is preceded by a `SELECT 1`.
        close_old_connections()
        if method == "GET":
            response = client.get(path, **extra)
        else:
            response = client.post(
                path, data=json.dumps(body or {}), content_type="application/json", **extra
            )
    statements = [q["sql"] for q in queries.captured_queries]
    return {
        "status": response.status_code,
        "orm_queries": len(statements),
        "pg_round_trips": trips.counts["sql"] + 2 * trips.counts["tx_end"],
        "redis_commands": trips.counts["redis"],
        "sql": statements,
    }


def _has_popular():
    try:
        resolve(POPULAR_PATH)
    except Resolver404:
        return False
    return True


def sql_counts(args):
    fixture = json.loads(Path(args.fixture).read_text())
    tokens = Path(fixture["tokens_file"]).read_text().split("\n")
    (uid_a, token_a), (uid_b, token_b), (_, token_c) = (line.split() for line in tokens[10:13])
    uid_a, uid_b = int(uid_a), int(uid_b)
    potion = fixture["products"]["potion"]
    backend = fixture["backend"]["token"]
    client = Client()
    purchase = f"/api/v1/products/{potion}/purchase"
    cases = [
        ("health", "GET", "/api/v1/health", None, None, None),
        ("purchase", "POST", purchase, token_a, {"quantity": 1}, None),
        (
            "purchase with Idempotency-Key",
            "POST",
            purchase,
            token_a,
            {"quantity": 1},
            {"Idempotency-Key": uuid.uuid4().hex},
        ),
        ("inventory (cache miss)", "GET", f"/api/v1/users/{uid_a}/inventory", token_a, None, None),
        ("inventory (cache hit)", "GET", f"/api/v1/users/{uid_a}/inventory", token_a, None, None),
        (
            "add-funds (fresh key)",
            "POST",
            f"/api/v1/users/{uid_b}/add-funds",
            backend,
            {"amount": 1},
            {"Idempotency-Key": uuid.uuid4().hex},
        ),
        ("users/me", "GET", "/api/v1/users/me", token_b, None, None),
    ]
    if _has_popular():
        cache.delete_pattern("*popular*")
        cases.append(("popular-products (cold)", "GET", POPULAR_PATH, token_b, None, None))
        cases.append(("popular-products (warm)", "GET", POPULAR_PATH, token_b, None, None))
    cases.append(("purchase, first request of its token", "POST", purchase, token_c, {}, None))
    # The steady state: tokens and the product already cached, as after a worker's first
    # requests. The first request of a token adds its lookup (the last row shows it).
    for token in (token_a, token_b, backend):
        _measure(client, "GET", "/api/v1/users/me", token)
    _measure(client, "POST", purchase, token_a, {"quantity": 1})
    results = {}
    for name, method, path, token, body, headers in cases:
        results[name] = _measure(client, method, path, token, body, headers)
    emit(results)


# --- popular products at 1M rows -------------------------------------------------------------
# Top products by completed purchases in the last 7 days (count, then units, then id): the
# contract's definition, as one aggregate. Used when the analytics app does not exist yet.
POPULAR_SQL = """
    SELECT product_id, count(*) AS purchases, sum(quantity) AS units
    FROM ledger_transaction
    WHERE kind = 'purchase' AND status = 'completed'
      AND created_at >= now() - interval '7 days'
    GROUP BY product_id
    ORDER BY purchases DESC, units DESC, product_id
    LIMIT 5
"""

GENERATE_SQL = """
    INSERT INTO ledger_transaction
        (user_id, product_id, kind, amount, quantity, unit_price, status, failure_reason,
         reason, idempotency_key, created_at)
    SELECT %(first_user)s + (g * 7919) %% %(users)s, p.id, 'purchase', p.price * q.qty, q.qty,
           p.price,
           CASE WHEN g %% 10 = 0 THEN 'failed' ELSE 'completed' END,
           CASE WHEN g %% 10 = 0 THEN 'insufficient_funds' ELSE '' END,
           '', '', now() - (g %% 30) * interval '1 day' - (g %% 86400) * interval '1 second'
    FROM generate_series(1, %(rows)s) AS g
    -- A skewed choice of product (a few are popular), drawn once per row.
    CROSS JOIN LATERAL (
        SELECT 1 + (g %% 3) AS qty,
               %(first_product)s + floor(%(products)s * power(random(), 2))::int + 0 * g AS pid
    ) AS q
    JOIN catalog_product AS p ON p.id = q.pid
"""


def _popular_query():
    """The SQL the service runs for popular products, captured from the analytics module when
    it exists (params inlined by Django's log), else the contract's definition by hand."""
    try:
        from economy.ledger.analytics import compute_popular_products
    except ImportError:
        return POPULAR_SQL, "bench/bootstrap.py POPULAR_SQL (no economy.ledger.analytics yet)"
    with CaptureQueriesContext(connection) as queries:
        compute_popular_products(days=7, limit=5)
    return queries.captured_queries[-1]["sql"], "economy.ledger.analytics.compute_popular_products"


def _explain(sql):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
    return plan


def _plan_nodes(node):
    yield node["Node Type"] + (f" on {node['Relation Name']}" if "Relation Name" in node else "")
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def _generate_rows(rows, fixture):
    if SYNTHETIC is not None:
        SYNTHETIC.generate_transactions(count=rows)
        return "bench/synthetic.py"
    products = Product.objects.bulk_create(
        [
            Product(name=f"Bench popular {i}", price=1 + i, type=ProductType.CONSUMABLE)
            for i in range(50)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            GENERATE_SQL,
            {
                "rows": rows,
                "first_user": fixture["first_user_id"],
                "users": fixture["users"],
                "first_product": products[0].pk,
                "products": len(products),
            },
        )
        cursor.execute("ANALYZE ledger_transaction")
    return "INSERT ... SELECT generate_series (bench/bootstrap.py)"


def _time_api(url, token, runs):
    """Wall time of GET url, each with the popular-products cache emptied first (cold).

    Every worker thread first serves a few requests, so that what is timed is the query and
    not a thread opening its database connection or importing a module for the first time."""
    for _ in range(200):
        request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    cold = []
    for _ in range(runs):
        cache.delete_pattern("*popular*")
        request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            status = response.status
        cold.append((time.perf_counter() - started) * 1000)
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
    warm = (time.perf_counter() - started) * 1000
    return {
        "status": status,
        "cold_ms_first": round(cold[0], 1),
        "cold_ms_median": round(statistics.median(cold), 1),
        "warm_ms": round(warm, 1),
    }


def popular(args):
    fixture = json.loads(Path(args.fixture).read_text())
    started = time.perf_counter()
    source = _generate_rows(args.rows, fixture)
    generated_s = time.perf_counter() - started
    total = Transaction.objects.count()
    query, query_source = _popular_query()
    runs = [_explain(query) for _ in range(3)]
    result = {
        "rows_generated": args.rows,
        "ledger_rows": total,
        "generated_with": source,
        "generate_seconds": round(generated_s, 1),
        "explain_ms_first": round(runs[0]["Execution Time"], 1),
        "explain_ms_median": round(statistics.median(r["Execution Time"] for r in runs), 1),
        "plan": list(_plan_nodes(runs[0]["Plan"])),
        "query": " ".join(query.split()),
        "query_from": query_source,
        "api": None,
    }
    if args.url and _has_popular():
        result["api"] = _time_api(args.url + POPULAR_PATH, fixture["backend"]["token"], runs=5)
    emit(result)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("seed")
    p.add_argument("--out", required=True)
    p.add_argument("--users", type=int, default=1000)
    for name in ("warm-inventory", "sql-counts", "popular"):
        p = sub.add_parser(name)
        p.add_argument("--fixture", required=True)
        if name == "popular":
            p.add_argument("--rows", type=int, default=1_000_000)
            p.add_argument("--url", default="")
    args = parser.parse_args()
    {
        "seed": seed,
        "warm-inventory": warm_inventory,
        "sql-counts": sql_counts,
        "popular": popular,
    }[args.command](args)


if __name__ == "__main__":
    main()
