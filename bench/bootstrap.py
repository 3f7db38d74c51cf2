"""The Django side of `make bench`: seed the scratch database, warm the inventory cache, count
statements per request, time popular products at scale. Run by bench/run.py with the bench
environment set (production settings, a scratch DATABASE_URL, a Redis DB of its own); never
against a real database.

    python bench/bootstrap.py seed --out DIR [--users 1000]
    python bench/bootstrap.py warm-inventory --fixture DIR/fixture.json
    python bench/bootstrap.py sql-counts --fixture DIR/fixture.json
    python bench/bootstrap.py popular --fixture DIR/fixture.json --rows 1000000 --url URL
    python bench/bootstrap.py growth --out DIR

`growth` runs after `popular`, on its rows: it times a player's history, popular products and
the dashboard's queries with EXPLAIN (ANALYZE, BUFFERS), builds ledger_transaction_partitioned
(monthly partitions of a copy of the ledger) and explains the history there, and writes every
plan to DIR/growth-plans.txt.

`seed` writes DIR/fixture.json and DIR/tokens.txt ("user_id token" lines, read by the wrk
scripts), in the format every revision's bootstrap writes, so that the same scripts drive a
baseline and the current tree. Each subcommand prints one JSON object on its last line.
"""

import argparse
import itertools
import json
import os
import re
import statistics
import sys
import time
import urllib.request
import uuid
from datetime import UTC, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if "economy_bench" not in os.environ.get("DATABASE_URL", ""):
    sys.exit("bench/bootstrap.py runs against a scratch database only (economy_bench*).")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Permission  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import DatabaseError, close_old_connections, connection, transaction  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402
from django.db.models.functions import TruncDay  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench import synthetic  # noqa: E402
from economy.catalog.models import Currency, Product, ProductType  # noqa: E402
from economy.common.pagination import Position  # noqa: E402
from economy.inventory import selectors  # noqa: E402
from economy.inventory.models import InventoryItem  # noqa: E402
from economy.ledger import selectors as ledger_selectors  # noqa: E402
from economy.ledger.analytics import compute_popular_products  # noqa: E402
from economy.ledger.models import Kind, Status, SystemWallet, Transaction, Wallet  # noqa: E402

User = get_user_model()

START_BALANCE = 10**12
POPULAR_PATH = "/api/v1/analytics/popular-products"
# What every seeded player already holds, with the ledger rows that explain it, so that an
# inventory read serialises a realistic mix and the wallets reconcile.
SEED_HOLDINGS = (("potion", 3), ("sword", 1), ("elixir", 2))


def emit(data):
    print(json.dumps(data, default=str))


# --- seed --------------------------------------------------------------------------------------
def _system_wallet(name, currency):
    wallet, _ = Wallet.objects.get_or_create(owner=None, name=name, currency=currency)
    return wallet


def _make_players(prefix, count, password, currency):
    """Players with a token and a wallet credited START_BALANCE from faucet:grants. The
    wallets open empty; the database applies the grant rows to them."""
    users = User.objects.bulk_create(
        [
            User(
                username=f"{prefix}{i:04d}",
                email=f"{prefix}{i:04d}@bench.invalid",
                password=password,
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    tokens = Token.objects.bulk_create(
        [Token(user=user, key=Token.generate_key()) for user in users], batch_size=1000
    )
    wallets = Wallet.objects.bulk_create(
        [Wallet(owner=user, currency=currency) for user in users], batch_size=1000
    )
    grants = _system_wallet(SystemWallet.GRANTS, currency)
    Transaction.objects.bulk_create(
        [
            Transaction(
                currency=currency,
                debit_wallet=grants,
                credit_wallet=wallet,
                user=wallet.owner,
                amount=START_BALANCE,
                kind=Kind.ADJUSTMENT,
                reason="Bench seed",
            )
            for wallet in wallets
        ],
        batch_size=1000,
    )
    return users, tokens, wallets


def _give_holdings(wallets, products, currency):
    """SEED_HOLDINGS for each player: inventory rows and the purchases that paid for them."""
    store = _system_wallet(SystemWallet.STORE, currency)
    items, purchases = [], []
    for wallet in wallets:
        for name, quantity in SEED_HOLDINGS:
            product = products[name]
            items.append(InventoryItem(user=wallet.owner, product=product, quantity=quantity))
            purchases.append(
                Transaction(
                    currency=currency,
                    debit_wallet=wallet,
                    credit_wallet=store,
                    user=wallet.owner,
                    product=product,
                    kind=Kind.PURCHASE,
                    amount=product.price * quantity,
                    quantity=quantity,
                    unit_price=product.price,
                )
            )
    InventoryItem.objects.bulk_create(items, batch_size=2000)
    Transaction.objects.bulk_create(purchases, batch_size=2000)


def _make_products(currency):
    def product(name, price, kind, **extra):
        return Product.objects.create(
            name=name, price=price, price_currency=currency, type=kind, **extra
        )

    return {
        "potion": product("Bench potion", 1, ProductType.CONSUMABLE, description="Heals a bit."),
        "elixir": product("Bench elixir", 5, ProductType.CONSUMABLE, description="Heals more."),
        "sword": product("Bench sword", 100, ProductType.PERMANENT, description="Sharp."),
        "retired": product("Bench retired hat", 7, ProductType.PERMANENT, is_active=False),
    }


def seed(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    password = make_password("bench-password")
    currency = Currency.objects.get(is_default=True)
    with transaction.atomic():
        products = _make_products(currency)
        players, tokens, wallets = _make_players("bench", args.users, password, currency)
        _give_holdings(wallets, products, currency)
        (hot,), (hot_token,), _ = _make_players("benchhot", 1, password, currency)
        backend = User.objects.create(username="benchbackend", password=make_password(None))
        backend.user_permissions.add(Permission.objects.get(codename="add_funds"))
        backend_token = Token.objects.create(user=backend)

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
        # psycopg sends a transaction's BEGIN, and its COMMIT or ROLLBACK, as round trips of
        # their own.
        "pg_round_trips": trips.counts["sql"] + 2 * trips.counts["tx_end"],
        "redis_commands": trips.counts["redis"],
        "sql": statements,
    }


def _fresh_key():
    return {"Idempotency-Key": uuid.uuid4().hex}


def sql_counts(args):
    fixture = json.loads(Path(args.fixture).read_text())
    tokens = Path(fixture["tokens_file"]).read_text().split("\n")
    (uid_a, token_a), (uid_b, token_b), (_, token_c) = (line.split() for line in tokens[10:13])
    potion = fixture["products"]["potion"]
    backend = fixture["backend"]["token"]
    client = Client()
    purchase = f"/api/v1/products/{potion}/purchase"
    inventory = f"/api/v1/users/{uid_a}/inventory"
    cases = [
        ("health", "GET", "/api/v1/health", None, None, None),
        ("purchase", "POST", purchase, token_a, {"quantity": 1}, None),
        ("purchase with Idempotency-Key", "POST", purchase, token_a, {"quantity": 1}, _fresh_key()),
        ("inventory (cache miss)", "GET", inventory, token_a, None, None),
        ("inventory (cache hit)", "GET", inventory, token_a, None, None),
        ("add-funds (fresh key)", "POST", f"/api/v1/users/{uid_b}/add-funds", backend,
         {"amount": 1}, _fresh_key()),
        ("spend (fresh key)", "POST", f"/api/v1/users/{uid_b}/spend", backend,
         {"amount": 1}, _fresh_key()),
        ("users/me", "GET", "/api/v1/users/me", token_b, None, None),
        ("popular-products (cold)", "GET", POPULAR_PATH, token_b, None, None),
        ("popular-products (warm)", "GET", POPULAR_PATH, token_b, None, None),
        ("purchase, first request of its token", "POST", purchase, token_c, {}, None),
    ]  # fmt: skip
    # The steady state: tokens, product, currency and system wallets already used, as after a
    # worker's first requests. The first request of a token adds its lookup (the last row).
    for token in (token_a, token_b, backend):
        _measure(client, "GET", "/api/v1/users/me", token)
    _measure(client, "POST", purchase, token_a, {"quantity": 1})
    cache.delete_pattern("*popular*")
    emit({name: _measure(client, *case) for name, *case in cases})


# --- popular products at scale ---------------------------------------------------------------
def _popular_query():
    """The SQL the service runs for popular products, params inlined (Django's log of it)."""
    with CaptureQueriesContext(connection) as queries:
        compute_popular_products(days=7, limit=5)
    return queries.captured_queries[-1]["sql"]


def _explain(sql):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    return plan[0] if isinstance(plan, list) else json.loads(plan)[0]


def _plan_nodes(node):
    """Each node of a plan, depth first: its type, relation or index, and what it read."""
    line = node["Node Type"]
    detail = node.get("Strategy") if line == "Aggregate" else node.get("Sort Method")
    if detail:
        line += f" ({detail})"
    if "Index Name" in node:
        line += f" using {node['Index Name']}"
    elif "Relation Name" in node:
        line += f" on {node['Relation Name']}"
    if "Heap Fetches" in node:
        line += f" (heap fetches {node['Heap Fetches']})"
    yield line
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def _get(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
    return response.status, (time.perf_counter() - started) * 1000


def _time_api(url, token, runs):
    """Wall time of GET url, each with the popular-products cache emptied first (cold), after
    requests that open every worker's connection and fill its caches."""
    for _ in range(50):
        _get(url, token)
    cold = []
    for _ in range(runs):
        cache.delete_pattern("*popular*")
        status, ms = _get(url, token)
        cold.append(ms)
    return {
        "status": status,
        "cold_ms_first": round(cold[0], 1),
        "cold_ms_median": round(statistics.median(cold), 1),
        "warm_ms": round(_get(url, token)[1], 1),
    }


def popular(args):
    fixture = json.loads(Path(args.fixture).read_text())
    started = time.perf_counter()
    # Bulk: the triggers off while the rows go in, each wallet set after (bench/synthetic.py);
    # reconcile_ledger checks the books afterwards all the same.
    synthetic.generate_transactions(count=args.rows, bulk=True)
    generated_s = time.perf_counter() - started
    query = _popular_query()
    runs = [_explain(query) for _ in range(3)]
    top = runs[0]["Plan"]
    emit(
        {
            "rows_generated": args.rows,
            "ledger_rows": Transaction.objects.count(),
            "generate_seconds": round(generated_s, 1),
            "explain_ms_first": round(runs[0]["Execution Time"], 1),
            "explain_ms_median": round(statistics.median(r["Execution Time"] for r in runs), 1),
            "shared_buffers_hit": top.get("Shared Hit Blocks"),
            "shared_buffers_read": top.get("Shared Read Blocks"),
            "plan": list(_plan_nodes(top)),
            "query": " ".join(query.split()),
            "api": _time_api(args.url + POPULAR_PATH, fixture["backend"]["token"], runs=5),
        }
    )


# --- a ledger that grows --------------------------------------------------------------------
RUNS = 3
PARTITIONED = "ledger_transaction_partitioned"
# The index of an Index Scan, an Index Only Scan and a Bitmap Index Scan.
INDEX_READ = re.compile(r"Index (?:Only )?Scan(?: Backward)? (?:using|on) (\w+)")


def _statements(evaluate):
    """The SQL statements (params inlined) that `evaluate()` sends: the ORM's real queries."""
    with CaptureQueriesContext(connection) as queries:
        evaluate()
    return [q["sql"] for q in queries.captured_queries]


def _explain_text(sql):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def _timed(name, sql, plans):
    """RUNS EXPLAIN ANALYZEs of one statement: the median execution time, and the last plan
    (appended to `plans`), with whether it reads the ledger by an index."""
    texts = [_explain_text(sql) for _ in range(RUNS)]
    times = [float(re.search(r"Execution Time: ([0-9.]+) ms", t)[1]) for t in texts]
    plan = texts[-1]
    plans.append(f"## {name}\n\n{' '.join(sql.split())}\n\n{plan}\n")
    top = plan.splitlines()[0]
    buffers = re.search(r"Buffers: shared (?:hit=(\d+))? ?(?:read=(\d+))?", plan)
    return {
        "ms_median": round(statistics.median(times), 2),
        "ms_runs": [round(t, 2) for t in times],
        "top": top.split("  (")[0].strip(),
        "ledger_seq_scan": bool(re.search(r"Seq Scan on ledger_transaction\b", plan)),
        "indexes": sorted(set(INDEX_READ.findall(plan))),
        "shared_hit": int(buffers[1] or 0) if buffers else None,
        "shared_read": int(buffers[2] or 0) if buffers else None,
    }


def _a_generated_player():
    """A player of bench/synthetic.py's, with its rows spread over the whole ledger."""
    wallet = Wallet.objects.filter(owner__username__startswith="gen-").order_by("-pk").first()
    return wallet.owner_id


def _history_statements(user_id):
    """The two statements of a history page (the rows the player pays, the rows another player
    paid it), for the first page and for a page well into its history, as the API asks them
    (a page of 20, read one beyond)."""
    rows = ledger_selectors.history(user_id=user_id, size=100)
    later = rows[min(60, len(rows) - 1)]
    after = Position(later.created_at, later.pk)
    first = _statements(lambda: ledger_selectors.history(user_id=user_id, size=21))
    page = _statements(lambda: ledger_selectors.history(user_id=user_id, after=after, size=21))
    return {"history, first page": first, "history, a later page": page}


def dashboard_querysets(*, days=30):
    """What an economy dashboard asks, per UTC day over `days` days in the default currency:
    what each faucet issued, what each sink absorbed, purchases and distinct paying players;
    and the currency in circulation (players' wallets)."""
    currency = Currency.objects.get(is_default=True)
    since = timezone.now() - timedelta(days=days)
    completed = Transaction.objects.filter(
        currency=currency, status=Status.COMPLETED, created_at__gte=since
    )
    day = TruncDay("created_at", tzinfo=UTC)
    return {
        "dashboard, faucets per day": completed.filter(debit_wallet__name__startswith="faucet:")
        .annotate(day=day)
        .values("day", "debit_wallet")
        .annotate(total=Sum("amount"), rows=Count("*"))
        .order_by("day", "debit_wallet"),
        "dashboard, sinks per day": completed.filter(credit_wallet__name__startswith="sink:")
        .annotate(day=day)
        .values("day", "credit_wallet")
        .annotate(total=Sum("amount"), rows=Count("*"))
        .order_by("day", "credit_wallet"),
        "dashboard, purchases and payers per day": completed.filter(kind=Kind.PURCHASE)
        .annotate(day=day)
        .values("day")
        .annotate(purchases=Count("*"), payers=Count("user", distinct=True))
        .order_by("day"),
        "dashboard, currency in circulation": Wallet.objects.filter(owner__isnull=False)
        .values("currency")
        .annotate(total=Sum("balance"))
        .order_by("currency"),
    }


def _months():
    """The first instant (UTC) of each month the ledger spans, and of the month after it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generate_series(date_trunc('month', min(created_at) AT TIME ZONE 'UTC'),"
            " date_trunc('month', max(created_at) AT TIME ZONE 'UTC') + interval '2 months',"
            " interval '1 month') FROM ledger_transaction"
        )
        return [row[0].replace(tzinfo=UTC) for row in cursor.fetchall()]


def _partition(month):
    """A month's partition, named as the ledger's own would be (short enough for the names
    PostgreSQL gives its indexes)."""
    return f"ledger_transaction_p{month:%Y_%m}"


def build_partitioned():
    """ledger_transaction_partitioned: the ledger's columns and checks, PARTITION BY RANGE
    (created_at), a partition per month the ledger spans and one ahead, primary key (id,
    created_at), the history's indexes; filled from the ledger. What PostgreSQL says of the
    refund's UNIQUE constraint without the partition key, too."""
    months = _months()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PARTITIONED}")
        cursor.execute(
            f"CREATE TABLE {PARTITIONED} (LIKE ledger_transaction INCLUDING DEFAULTS "
            "INCLUDING CONSTRAINTS) PARTITION BY RANGE (created_at)"
        )
        cursor.execute(f"ALTER TABLE {PARTITIONED} ADD PRIMARY KEY (id, created_at)")
        for start, end in itertools.pairwise(months):
            # DDL takes no parameters; the bounds are the database's own timestamps.
            cursor.execute(
                f"CREATE TABLE {_partition(start)} PARTITION OF {PARTITIONED} "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
        cursor.execute(f"INSERT INTO {PARTITIONED} SELECT * FROM ledger_transaction")
        rows = cursor.rowcount
        # Created on the parent, each is created on every partition (and on those to come).
        cursor.execute(
            f"CREATE INDEX {PARTITIONED}_user_created ON {PARTITIONED} "
            "(user_id, created_at DESC, id DESC)"
        )
        cursor.execute(
            f"CREATE INDEX {PARTITIONED}_counterparty_created ON {PARTITIONED} "
            "(counterparty_id, created_at DESC, id DESC) WHERE counterparty_id IS NOT NULL"
        )
        cursor.execute(f"ANALYZE {PARTITIONED}")
    unique_refund = "created"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE UNIQUE INDEX {PARTITIONED}_one_refund ON {PARTITIONED} (refund_of_id) "
                "WHERE kind = 'refund' AND status = 'completed'"
            )
    except DatabaseError as exc:
        unique_refund = str(exc).strip().splitlines()[0]
    return {
        "rows": rows,
        "partitions": [_partition(start) for start in months[:-1]],
        "build_seconds": round(time.perf_counter() - started, 1),
        "unique_refund_of_without_created_at": unique_refund,
    }


def _on_partitioned(sql):
    return sql.replace('"ledger_transaction"', f'"{PARTITIONED}"')


def growth(args):
    out = Path(args.out)
    plans = []
    user_id = _a_generated_player()
    figures = {"ledger_rows": Transaction.objects.count(), "player": user_id, "queries": {}}
    history = _history_statements(user_id)
    statements = {name: sql for name, (sql, *_) in history.items()}
    statements["history, a later page (the counterparty side)"] = history["history, a later page"][
        1
    ]
    statements["popular products"] = _popular_query()
    for name, rows in dashboard_querysets().items():
        statements[name] = _statements(lambda r=rows: list(r))[0]
    for name, sql in statements.items():
        figures["queries"][name] = _timed(name, sql, plans)

    figures["partitioned"] = build_partitioned()
    first, later = history["history, first page"][0], history["history, a later page"][0]
    # What a history bounded in time would ask (the API has no such bound today).
    recent = (
        Transaction.objects.select_related("currency", "debit_wallet", "credit_wallet", "product")
        .filter(user_id=user_id, created_at__gte=timezone.now() - timedelta(days=31))
        .order_by("-created_at", "-id")
    )
    (bounded,) = _statements(lambda: list(recent[:21]))
    figures["partitioned"]["queries"] = {
        name: _timed(name + " (partitioned)", _on_partitioned(sql), plans)
        for name, sql in (
            ("history, first page", first),
            ("history, a later page", later),
            ("history, first page bounded to the last 31 days", bounded),
        )
    }
    (out / "growth-plans.txt").write_text("\n".join(plans))
    figures["plans"] = str(out / "growth-plans.txt")
    emit(figures)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("seed")
    p.add_argument("--out", required=True)
    p.add_argument("--users", type=int, default=1000)
    p = sub.add_parser("growth")
    p.add_argument("--out", required=True)
    for name in ("warm-inventory", "sql-counts", "popular"):
        p = sub.add_parser(name)
        p.add_argument("--fixture", required=True)
        if name == "popular":
            p.add_argument("--rows", type=int, default=1_000_000)
            p.add_argument("--url", required=True)
    args = parser.parse_args()
    {
        "seed": seed,
        "warm-inventory": warm_inventory,
        "sql-counts": sql_counts,
        "popular": popular,
        "growth": growth,
    }[args.command](args)


if __name__ == "__main__":
    main()
