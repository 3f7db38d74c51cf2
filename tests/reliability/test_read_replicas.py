"""Read replicas for real: a primary and a streaming replica of its own (initdb, pg_basebackup
-R, pg_ctl, as the postgres user, in a temporary directory, on free ports; the machine's own
cluster is never touched), and the service pointed at both through DATABASE_URL and
DATABASE_REPLICA_URLS in a process of its own. The requests go through Django's test client
in that process, so each one can tell which connection its queries used."""

import json
import os
import subprocess
import sys
import uuid

import pytest

from bench import replication
from tests.support.processes import DEFAULT_REDIS_URL, REPO

pytestmark = pytest.mark.slow

DATABASE = "economy_replicated"


@pytest.fixture(scope="module")
def replicated():
    """A primary and its streaming replica, with the test's database."""
    if replication.bindir() is None:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) are not here")
    with replication.primary_and_replica(settings="fsync = off\n") as cluster:
        cluster.create_database(DATABASE)
        yield cluster, cluster.ports["primary"], cluster.ports["replica"]


def service(script, primary_port, replica_port, **env_overrides):
    """Run `script` in `manage.py shell` against the primary and its replica; its JSON line."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "DATABASE_", "CACHE_KEY_PREFIX"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{primary_port}/{DATABASE}",
        DATABASE_REPLICA_URLS=f"postgres://postgres@127.0.0.1:{replica_port}/{DATABASE}",
        REDIS_URL=os.environ.get("REDIS_URL", DEFAULT_REDIS_URL),
        CACHE_KEY_PREFIX=f"replicas-{uuid.uuid4().hex[:8]}",
        ECONOMY_READ_YOUR_WRITES_SECONDS="2",
        ECONOMY_REPLICA_MAX_LAG_SECONDS="1",
        ECONOMY_REPLICA_CHECK_SECONDS="0",
        RATELIMIT_ENABLE="False",
        **env_overrides,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# Shared by the scripts: a client per player, and which databases a request's queries used.
PRELUDE = """
import json, time
from contextlib import ExitStack
from django.db import connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from economy.accounts.models import User
from economy.ledger.models import Transaction

def client(user):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION="Token " + Token.objects.get_or_create(user=user)[0].key)
    return c

def served(request):
    '''(response, the aliases its reads of the ledger went to)'''
    used = set()
    with ExitStack() as stack:
        for alias in connections:
            def spy(execute, sql, params, many, context, alias=alias):
                if "ledger_transaction" in sql:
                    used.add(alias)
                return execute(sql, params, many, context)
            stack.enter_context(connections[alias].execute_wrapper(spy))
        response = request()
    return response, sorted(used)

def history(c, user):
    return served(lambda: c.get(f"/api/v1/users/{user.pk}/transactions"))

def in_recovery(alias):
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        return cursor.fetchone()[0]

def replica_has(pk):
    return Transaction.objects.using("replica_0").filter(pk=pk).exists()

def until(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
"""

FIRST = (
    PRELUDE
    + """
from economy.catalog.models import Currency, Product
from economy.ledger import services as ledger
coins = Currency.objects.get(is_default=True)
alice = User.objects.create_user("alice", "alice@example.com", "pw")
bob = User.objects.create_user("bob", "bob@example.com", "pw")
potion = Product.objects.create(name="Potion", price=10, price_currency=coins, type="consumable")
grant = ledger.adjust_balance(user_id=alice.pk, amount=100, currency=coins, reason="test")
until(lambda: replica_has(grant.transaction.pk))
time.sleep(2.5)  # alice's grant is past the read-your-writes window
a, b = client(alice), client(bob)

bought = a.post(f"/api/v1/products/{potion.pk}/purchase", {}, format="json")
purchase_id = bought.json()["transaction"]["id"]
after_write, after_write_dbs = history(a, alice)
other, other_dbs = history(b, bob)
replica_in_recovery = in_recovery("replica_0")
until(lambda: replica_has(purchase_id))
time.sleep(2.5)
later, later_dbs = history(a, alice)

# The replica falls behind: its replay paused while the primary moves on.
with connections["replica_0"].cursor() as cursor:
    cursor.execute("SELECT pg_wal_replay_pause()")
ledger.adjust_balance(user_id=bob.pk, amount=5, currency=coins, reason="lag")
time.sleep(2)
ready_lagging = served(lambda: a.get("/api/v1/health/ready"))[0].json()
_, lagging_dbs = history(b, bob)
with connections["replica_0"].cursor() as cursor:
    cursor.execute("SELECT pg_wal_replay_resume()")

print(json.dumps({
    "bought": bought.status_code,
    "after_write_ids": [row["id"] for row in after_write.json()["results"]],
    "after_write_dbs": after_write_dbs,
    "purchase_id": purchase_id,
    "other_status": other.status_code,
    "other_dbs": other_dbs,
    "replica_in_recovery": replica_in_recovery,
    "later_ids": [row["id"] for row in later.json()["results"]],
    "later_dbs": later_dbs,
    "ready_lagging": ready_lagging,
    "lagging_dbs": lagging_dbs,
}))
"""
)

AFTER_REPLICA_STOPPED = (
    PRELUDE
    + """
bob = User.objects.get(username="bob")
response, dbs = history(client(bob), bob)
ready = APIClient().get("/api/v1/health/ready")
print(json.dumps({
    "status": response.status_code,
    "rows": len(response.json()["results"]),
    "dbs": dbs,
    "ready_status": ready.status_code,
    "ready": ready.json(),
}))
"""
)


def migrate(primary_port, replica_port):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "DATABASE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{primary_port}/{DATABASE}",
        DATABASE_REPLICA_URLS=f"postgres://postgres@127.0.0.1:{replica_port}/{DATABASE}",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_reads_go_to_the_replica_but_a_players_own_after_a_write_and_survive_it_stopping(
    replicated,
):
    cluster, primary_port, replica_port = replicated
    migrate(primary_port, replica_port)

    state = service(FIRST, primary_port, replica_port)

    assert state["bought"] == 201
    # Read-your-writes: right after its purchase, the buyer's history is read on the primary
    # and shows it.
    assert state["after_write_ids"][0] == state["purchase_id"]
    assert state["after_write_dbs"] == ["default"]
    # Another player's history (it wrote nothing) is read on the replica, a server in recovery.
    assert state["other_status"] == 200
    assert "replica_0" in state["other_dbs"]
    assert state["replica_in_recovery"] is True
    # Once the window has passed, the buyer's reads go to the replica too, purchase included.
    assert state["later_ids"][0] == state["purchase_id"]
    assert "replica_0" in state["later_dbs"]
    # A replica lagging beyond the threshold is reported and skipped.
    assert state["ready_lagging"]["components"]["replica_0"] == "lagging"
    assert state["ready_lagging"]["status"] == "ok"
    assert "replica_0" not in state["lagging_dbs"]

    cluster.stop("replica")
    stopped = service(AFTER_REPLICA_STOPPED, primary_port, replica_port)

    assert (stopped["status"], stopped["rows"]) == (200, 1)
    assert stopped["dbs"] == ["default"]
    assert stopped["ready_status"] == 200
    assert stopped["ready"]["components"]["replica_0"] == "down"
