"""PostgreSQL drops the server's connections between requests (a failover, a restart, an idle
timeout, pg_terminate_backend): the next request succeeds on a fresh connection.

Kept connections, persistent (CONN_MAX_AGE > 0) or pooled (DB_POOL_SIZE > 0), are only safe
because CONN_HEALTH_CHECKS makes Django (or psycopg's pool) test a reused connection before the
request uses it. This runs the real thing: gunicorn with the production settings in a
subprocess, on a scratch database of its own, spoken to over HTTP with urllib.
"""

import json
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import processes as scratch
from tests.support.processes import (
    REPO,
    VENV_BIN,
    connect,
    free_port,
    http,
    production_env,
    start,
    stop,
    wait_until,
)

pytestmark = pytest.mark.slow

SETUP = """
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
call_command("collectstatic", verbosity=0, interactive=False)
from economy.accounts.models import User
from economy.catalog.models import Currency, Product
from economy.ledger.services import adjust_balance
from rest_framework.authtoken.models import Token
coins = Currency.objects.get(is_default=True)
user = User.objects.create_user("conn-loss-player")
adjust_balance(user_id=user.pk, amount=1000, currency=coins, reason="connection loss test")
product = Product.objects.create(
    name="Potion", price=10, price_currency=coins, type="consumable"
)
print({"token": Token.objects.create(user=user).key, "user": user.pk, "product": product.pk})
"""


@pytest.fixture
def scratch_database():
    with scratch.scratch_database("economy_reliability") as url:
        yield url


# How the server keeps connections across requests (the case the health checks exist for):
# gunicorn's arguments and the settings. --preload as in production (docker/gunicorn.conf.py):
# the application is imported before the fork, so no connection or pool may be made there.
POOL_SIZE, POOL_PROCESSES = 2, 2
KEPT_CONNECTIONS = {
    "persistent": (["--preload", "--workers", "2"], {"CONN_MAX_AGE": "600"}),
    "pool": (
        ["--preload", "--workers", str(POOL_PROCESSES), "--threads", "4"],
        {"DB_POOL_SIZE": str(POOL_SIZE)},
    ),
}


@pytest.fixture(params=sorted(KEPT_CONNECTIONS))
def kept_connections(request):
    return request.param


@pytest.fixture
def server_env(scratch_database, kept_connections, tmp_path):
    return production_env(
        STATIC_ROOT=str(tmp_path / "static"),
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=scratch_database,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        RATELIMIT_ENABLE="false",
        LOG_JSON="false",
        **KEPT_CONNECTIONS[kept_connections][1],
    )


def _backend_pids(url):
    with connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return {pid for (pid,) in rows}


def _terminate_backends(url):
    with connect(url, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(killed)


def test_requests_after_postgres_killed_the_connections_succeed(
    server_env, scratch_database, kept_connections, tmp_path
):
    setup = start(
        [VENV_BIN / "python", "manage.py", "shell", "-c", SETUP],
        env=server_env,
        log_path=tmp_path / "setup.log",
    )
    assert setup.wait(timeout=120) == 0, (tmp_path / "setup.log").read_text()
    last_line = (tmp_path / "setup.log").read_text().strip().splitlines()[-1]
    world = json.loads(last_line.replace("'", '"'))
    auth = {"Authorization": f"Token {world['token']}"}

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    server = start(
        [
            VENV_BIN / "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            *KEPT_CONNECTIONS[kept_connections][0],
            "--chdir",
            REPO,
        ],
        env=server_env,
        log_path=log,
    )
    try:

        def answers():
            assert server.poll() is None, log.read_text()
            try:
                return http("GET", f"{base}/api/v1/health", timeout=1)[0] == 200
            except OSError:
                return False

        wait_until(answers, timeout=45, message="gunicorn to answer")

        def request_round():
            """Reads, a write and readiness, repeated so that both workers serve some."""
            for _ in range(3):
                status, body = http("GET", f"{base}/api/v1/users/me", headers=auth)
                assert status == 200, body
                status, body = http(
                    "POST",
                    f"{base}/api/v1/products/{world['product']}/purchase",
                    body='{"quantity": 1}',
                    headers={**auth, "Content-Type": "application/json"},
                )
                assert status == 201, body
                status, body = http("GET", f"{base}/api/v1/health/ready")
                assert status == 200, body

        request_round()
        for _ in range(2):
            before = _backend_pids(scratch_database)
            assert before, "the server keeps no persistent connection: nothing to test"
            assert _terminate_backends(scratch_database) == len(before)
            request_round()
            assert _backend_pids(scratch_database).isdisjoint(before)

        _, body = http("GET", f"{base}/api/v1/users/me", headers=auth)
        profile = json.loads(body)
        assert profile["balance"] == 1000 - 9 * 10
        assert profile["balances"]["coins"] == {"balance": 910, "held": 0, "available": 910}

        if kept_connections == "pool":
            # 16 requests at once on 2 processes x 4 threads: every one is served, and each
            # process holds at most its pool's connections.
            def profile(_):
                return http("GET", f"{base}/api/v1/users/me", headers=auth)[0]

            with ThreadPoolExecutor(16) as pool:
                assert list(pool.map(profile, range(16))) == [200] * 16
            assert len(_backend_pids(scratch_database)) <= POOL_SIZE * POOL_PROCESSES
    finally:
        stop(server)
    assert "Traceback" not in log.read_text(), log.read_text()
    # Nine purchases, each applied once: the books still balance.
    books = start(
        [VENV_BIN / "python", "manage.py", "reconcile_ledger"],
        env=server_env,
        log_path=tmp_path / "reconcile.log",
    )
    assert books.wait(timeout=120) == 0, (tmp_path / "reconcile.log").read_text()
    assert "OK: 1 wallet(s) match the ledger" in (tmp_path / "reconcile.log").read_text()
