"""`make bench`: the service under load, side by side with its own ceilings.

Creates a scratch PostgreSQL database (economy_bench, dropped and re-created every run) and
uses Redis DB 13 (only that DB is flushed), seeds 1,000 players, starts gunicorn the way
production does (docker/gunicorn.conf.py through bench/gunicorn.conf.py) on a free port of
127.0.0.1, drives it with wrk (bench/lua/), runs the purchase's own SQL under pgbench
(bench/pgbench/purchase.sql) and times the popular-products aggregate at 1,000,000 ledger rows.
Prints one table and writes bench/results/<timestamp>.json (and latest.json).

Environment (all optional):
    BENCH_DURATION      per wrk/pgbench run, wrk syntax (30s, 1m); default 30s
    BENCH_WARMUP        the same load, not measured, before each wrk run (first connections,
                        token and product caches filled); default 5s, 0 for none
    BENCH_CONNECTIONS   concurrent connections / pgbench clients; default 32
    BENCH_MODELS        servers to run every scenario under, comma separated (sync, gthread,
                        asgi, sync-pool: WORKER_MODELS below), the first also serves
                        popular-products and the profiles; default sync,gthread,asgi
    BENCH_WORKERS       gunicorn worker processes; default production's formula (2 x CPU + 1, <= 8)
    BENCH_THREADS       threads per gthread worker; default 4
    BENCH_ROWS          ledger rows for popular-products; default 1000000 (0 skips it)
    BENCH_SCENARIOS     a subset of purchase,hot,add-funds,inventory-hit,inventory-miss,floors,
                        pgbench,popular (health always runs; floors under sync only); default all
    BENCH_ACCESS_LOG    0 turns gunicorn's access log off (production keeps it on); default 1
    BENCH_PROFILE       1: also record py-spy profiles (purchase, inventory hit) into
                        bench/results/<timestamp>/, after the measured runs
    BENCH_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/economy_bench
    BENCH_REDIS_URL     default redis://127.0.0.1:6379/13
"""

import contextlib
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
RESULTS = BENCH / "results"

DURATION = os.environ.get("BENCH_DURATION", "30s")
WARMUP = os.environ.get("BENCH_WARMUP", "5s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
MODELS = [m.strip() for m in os.environ.get("BENCH_MODELS", "sync,gthread,asgi").split(",") if m]
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
PROFILE = os.environ.get("BENCH_PROFILE", "0") == "1"
ACCESS_LOG = os.environ.get("BENCH_ACCESS_LOG", "1") != "0"
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/economy_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
DB_NAME = DATABASE_URL.rsplit("/", 1)[1]
WRK_THREADS = 2
ALL_SCENARIOS = "purchase,hot,add-funds,inventory-hit,inventory-miss,floors,pgbench,popular"
SCENARIOS = set(os.environ.get("BENCH_SCENARIOS", ALL_SCENARIOS).split(","))


def _default_workers():
    return min(2 * len(os.sched_getaffinity(0)) + 1, 8)


WORKERS = int(os.environ.get("BENCH_WORKERS", str(_default_workers())))


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def seconds(duration):
    match = re.fullmatch(r"(\d+)([smh]?)", duration.strip())
    if not match:
        sys.exit(f"BENCH_DURATION={duration!r}: use e.g. 30s, 5s or 1m")
    return int(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]


# --- tools -----------------------------------------------------------------------------------
def ensure_tools():
    if not shutil.which("wrk"):
        log("installing wrk (apt-get)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "-n", "apt-get"]
        subprocess.run([*apt, "update", "-qq"], env=env, timeout=300, check=False)
        subprocess.run([*apt, "install", "-y", "-qq", "wrk"], env=env, timeout=300, check=True)
    pgbench = shutil.which("pgbench") or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None
    )
    if not pgbench:
        log("pgbench not found (apt-get install postgresql-contrib): DB ceiling rows skipped")
    return shutil.which("wrk"), pgbench


# --- scratch database and cache ------------------------------------------------------------
def admin_url():
    return DATABASE_URL.rsplit("/", 1)[0] + "/postgres"


def recreate_database():
    with psycopg.connect(admin_url(), autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database():
    try:
        with psycopg.connect(admin_url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    except Exception as exc:
        log(f"could not drop {DB_NAME}: {exc}")


def flush_redis():
    redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()


def app_env(**extra):
    """The service's environment: production settings, pointed at the scratch stores."""
    production = (ROOT / "config" / "settings" / "production.py").read_text()
    settings = (
        "config.settings.production"
        if "SECURE_SSL_REDIRECT" in production
        else "config.settings.base"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DEBUG": "False",
        "SECURE_SSL_REDIRECT": "False",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": "economy-bench",
        # The rate limiter stays on (its cache round trip is part of the cost), with limits
        # no benchmark reaches; where it is not configurable yet, it is switched off.
        "ECONOMY_RATE_LIMIT_WRITES": "1000000/m",
        "ECONOMY_RATE_LIMIT_LOGIN": "1000000/m",
        "LOG_LEVEL": "WARNING",
    }
    base = (ROOT / "config" / "settings" / "base.py").read_text()
    if "ECONOMY_RATE_LIMIT_WRITES" not in base:
        env["RATELIMIT_ENABLE"] = "False"
    env.update(extra)
    return env


def django_step(*args, timeout=600):
    """Run bench/bootstrap.py (or manage.py) with the app's environment; return its JSON."""
    command = [str(BIN / "python"), *args]
    done = subprocess.run(
        command, cwd=ROOT, env=app_env(), capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode})")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else None


# --- the server ------------------------------------------------------------------------------
def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The servers every scenario can run under (BENCH_MODELS): gunicorn with production's settings
# and, where a model says so, another worker class, entry point or environment.
WORKER_MODELS = {
    # Production's default: one request at a time per process.
    "sync": {},
    # Threads in each process (BENCH_THREADS).
    "gthread": {"threads": THREADS},
    # ASGI: uvicorn's worker under gunicorn (uvloop, httptools). Django runs each request's
    # sync code in a thread of its own, so connections come from a pool (its docs: persistent
    # connections must be off under ASGI).
    "asgi": {
        "worker_class": "uvicorn_worker.UvicornWorker",
        "app": "config.asgi:application",
        "env": {"DB_POOL_SIZE": "4"},
    },
    # Sync workers taking their connection from a pool of one instead of keeping it.
    "sync-pool": {"env": {"DB_POOL_SIZE": "1"}},
}


class Server:
    """gunicorn in its own process group, so that stopping it stops every worker."""

    def __init__(
        self, model, logdir, *, app=None, workers=WORKERS, access_log=ACCESS_LOG, **env,
    ):  # fmt: skip
        spec = WORKER_MODELS[model]
        self.app = app or spec.get("app", "config.wsgi:application")
        self.model = model
        self.workers = workers
        self.threads = spec.get("threads", 1)
        self.worker_class = spec.get("worker_class", "")
        env = {**spec.get("env", {}), **env}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.access_log = access_log
        self.logfile = logdir / f"gunicorn-{model}-{self.port}.log"
        self.process = None

    def describe(self):
        threads = f" x {self.threads} threads" if self.threads > 1 else ""
        return f"gunicorn {self.model}, {self.workers} workers{threads}, {self.app}"

    def start(self):
        env = app_env(
            BENCH_BIND=f"127.0.0.1:{self.port}",
            BENCH_WORKERS=str(self.workers),
            BENCH_THREADS=str(self.threads),
            BENCH_ACCESS_LOG="1" if self.access_log else "0",
            BENCH_WORKER_CLASS=self.worker_class,
            LOG_JSON="True",
            **self.env,
        )
        command = [
            str(BIN / "gunicorn"),
            "--config",
            str(BENCH / "gunicorn.conf.py"),
            self.app,
        ]
        with open(self.logfile, "ab") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
            )
        _servers.append(self)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited, see {self.logfile}")
            if self._answers():
                self._wait_for_workers()
                return self
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer within 60 s, see {self.logfile}")

    def _answers(self):
        try:
            with urllib.request.urlopen(self.url + "/api/v1/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def _wait_for_workers(self):
        # One worker answering is not all of them booted: let the others import Django too.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(self.worker_pids()) < self.workers:
            time.sleep(0.2)
        time.sleep(1)

    def worker_pids(self):
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


_servers = []


def stop_all_servers():
    for server in _servers:
        with contextlib.suppress(Exception):
            server.stop()


# --- CPU accounting ----------------------------------------------------------------------------
TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid):
    """utime + stime of a process, in seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def cpu_snapshot(server):
    """CPU seconds used so far by each process of each tier, and by the whole machine."""
    tiers = {"gunicorn": {}, "postgres": {}, "redis": {}}
    ours = {server.process.pid, *server.worker_pids()} if server else set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if pid in ours:
            tiers["gunicorn"][pid] = _proc_cpu(pid)
            continue
        cmdline = _cmdline(pid)
        if cmdline.startswith("postgres: ") and f" {DB_NAME} " in cmdline:
            tiers["postgres"][pid] = _proc_cpu(pid)
        elif cmdline.startswith("redis-server"):
            tiers["redis"][pid] = _proc_cpu(pid)
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    busy = sum(values) - values[3] - values[4]
    times = os.times()
    return {
        **tiers,
        "machine_busy": busy / TICK,
        "machine_total": sum(values) / TICK,
        "wrk": times.children_user + times.children_system,
    }


def cpu_per_request(before, after, requests):
    """CPU milliseconds per request by tier; `others` is what the rest of the machine used
    meanwhile (other people's test suites on a shared box: noise). A process that ended
    during the run (a database connection closed after CONN_MAX_AGE) takes its CPU with it:
    the postgres figure is a floor."""
    delta = {
        tier: sum(cpu - before[tier].get(pid, 0.0) for pid, cpu in after[tier].items())
        for tier in ("gunicorn", "postgres", "redis")
    }
    for key in ("machine_busy", "machine_total", "wrk"):
        delta[key] = after[key] - before[key]
    ours = sum(delta[k] for k in ("gunicorn", "postgres", "redis", "wrk"))
    n = max(requests, 1)
    per = {k: round(1000 * delta[k] / n, 3) for k in ("gunicorn", "postgres", "redis", "wrk")}
    per["ours"] = round(1000 * ours / n, 3)
    per["machine_busy_pct"] = round(100 * delta["machine_busy"] / delta["machine_total"], 1)
    per["others_pct"] = round(
        100 * max(delta["machine_busy"] - ours, 0) / delta["machine_total"], 1
    )
    return per


# --- wrk -------------------------------------------------------------------------------------
def _wrk(server, script, args, duration, connections):
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{connections}",
        f"-d{duration}",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / "lua" / script),
        server.url,
        "--",
        *map(str, args),
    ]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=seconds(duration) + 60
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk {script} failed: {done.stdout}{done.stderr}")
    return json.loads(line.removeprefix("BENCH_JSON "))


def run_wrk(
    server, script, *args, duration=DURATION, connections=CONNECTIONS, warmup=WARMUP,
    warmup_args=None,
):  # fmt: skip
    """One measured wrk run, after `warmup` of the same load that is not measured: a steady
    state, not the first connections and cache fills of each worker. `warmup_args` replaces
    `args` for the warm-up when a run must not repeat it (add-funds' idempotency keys)."""
    if seconds(warmup) > 0:
        _wrk(server, script, warmup_args or args, warmup, connections)
    load_before = os.getloadavg()[0]
    cpu_before = cpu_snapshot(server)
    result = _wrk(server, script, args, duration, connections)
    cpu_after = cpu_snapshot(server)
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["loadavg_before"] = load_before
    result["cpu_ms_per_request"] = cpu_per_request(cpu_before, cpu_after, result["requests"])
    return result


def summarise(name, result, expected, *, tolerated=(), baseline=None, server=None):
    """One row of the table from one wrk result."""
    statuses = result["statuses"]
    unexpected = {s: n for s, n in statuses.items() if int(s) not in (*expected, *tolerated)}
    socket_errors = sum(result["socket_errors"].values())
    row = {
        "scenario": name,
        "server": server.describe() if server else "",
        "rps": round(result["rps"], 1),
        "p50_ms": round(result["latency_us"]["p50"] / 1000, 2),
        "p99_ms": round(result["latency_us"]["p99"] / 1000, 2),
        "errors": sum(unexpected.values()) + socket_errors,
        "error_statuses": unexpected,
        "socket_errors": result["socket_errors"],
        "expected_409": sum(n for s, n in statuses.items() if int(s) in tolerated),
        "replayed": result["replayed"],
        "statuses": statuses,
        "requests": result["requests"],
        "loadavg_before": round(result["loadavg_before"], 2),
        "cpu_ms_per_request": result["cpu_ms_per_request"],
        "baseline_rps": round(baseline["rps"], 1) if baseline else None,
        "ratio": round(result["rps"] / baseline["rps"], 2) if baseline else None,
    }
    log(
        f"  {name}: {row['rps']} req/s, p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms, "
        f"statuses {statuses}, socket errors {result['socket_errors']}, "
        f"CPU ms/request {result['cpu_ms_per_request']}"
    )
    return row


def http_scenarios(model, fixture, logdir, run_id):
    """Every HTTP scenario under one worker model, each beside that server's /health."""
    rows = []
    tokens = fixture["tokens_file"]
    potion = fixture["products"]["potion"]
    label = f" [{model}]"
    server = Server(model, logdir).start()
    log(f"{server.describe()} on {server.url}")
    try:
        health = run_wrk(server, "get.lua")
        rows.append(summarise("health (baseline)" + label, health, (200,), server=server))
        if "purchase" in SCENARIOS:
            result = run_wrk(server, "purchase.lua", tokens, potion)
            rows.append(
                summarise("purchase, 1,000 users" + label, result, (201,), baseline=health,
                          server=server)
            )  # fmt: skip
        if "hot" in SCENARIOS:
            result = run_wrk(server, "purchase_hot.lua", fixture["hot_user"]["token"], potion)
            rows.append(
                summarise("purchase, one user (hot row)" + label, result, (201,),
                          tolerated=(409,), baseline=health, server=server)
            )  # fmt: skip
        if "add-funds" in SCENARIOS:
            key_prefix = f"{run_id}-{model}"
            backend = fixture["backend"]["token"]
            result = run_wrk(
                server, "add_funds.lua", tokens, backend, key_prefix,
                warmup_args=(tokens, backend, f"{key_prefix}-warmup"),
            )  # fmt: skip
            rows.append(
                summarise("add-funds, fresh key" + label, result, (201,), baseline=health,
                          server=server)
            )  # fmt: skip
        if "inventory-hit" in SCENARIOS:
            django_step("bench/bootstrap.py", "warm-inventory", "--fixture", fixture["path"])
            result = run_wrk(server, "inventory.lua", tokens)
            rows.append(
                summarise("inventory, cache hit" + label, result, (200,), baseline=health,
                          server=server)
            )  # fmt: skip
    finally:
        server.stop()
    if "inventory-miss" in SCENARIOS:
        rows.append(inventory_miss(model, fixture, logdir, health))
    if "floors" in SCENARIOS and model == "sync":
        rows.extend(floors(model, fixture, logdir))
    return rows


def inventory_miss(model, fixture, logdir, health):
    """The miss path needs a server whose cache never keeps an entry: TTL 0 makes every read
    MGET (miss) + SQL + the write-back (a DEL at TTL 0), i.e. exactly a cold read."""
    server = Server(model, logdir, ECONOMY_INVENTORY_CACHE_TTL="0").start()
    try:
        result = run_wrk(server, "inventory.lua", fixture["tokens_file"])
        return summarise(f"inventory, cache miss (TTL 0) [{model}]", result, (200,),
                         baseline=health, server=server)  # fmt: skip
    finally:
        server.stop()


def floors(model, fixture, logdir):
    """bench/probes.py's views on a server of their own, each beside that server's /health:
    the purchase's SQL alone and one Redis read alone, the floors of the purchase and of the
    inventory hit."""
    server = Server(model, logdir, app="bench.probes:application").start()
    try:
        health = run_wrk(server, "get.lua")
        users = (fixture["first_user_id"], fixture["last_user_id"])
        sql = run_wrk(server, "probe_purchase_sql.lua", *users)
        read = run_wrk(server, "get.lua", "/bench-probe/cache-read")
        label = f" [{model}]"
        return [
            summarise("health (floors' server)" + label, health, (200,), server=server),
            summarise("floor: the purchase's SQL alone" + label, sql, (201,), baseline=health,
                      server=server),
            summarise("floor: one Redis MGET alone" + label, read, (200,), baseline=health,
                      server=server),
        ]  # fmt: skip
    finally:
        server.stop()


# --- pgbench ---------------------------------------------------------------------------------
def run_pgbench(pgbench, fixture, logdir, *, hot):
    first = last = fixture["hot_user"]["id"] if hot else None
    if not hot:
        first, last = fixture["first_user_id"], fixture["last_user_id"]
    prefix = logdir / ("pgbench-hot" if hot else "pgbench")
    command = [
        pgbench, "-n", "-M", "prepared",
        "-c", str(CONNECTIONS), "-j", "2", "-T", str(seconds(DURATION)),
        "-f", str(BENCH / "pgbench" / "purchase.sql"),
        "-D", f"first_uid={first}", "-D", f"last_uid={last}",
        "-D", f"product={fixture['products']['potion']}", "-D", "price=1",
        "-l", "--log-prefix", str(prefix), DATABASE_URL,
    ]  # fmt: skip
    load_before = os.getloadavg()[0]
    # The service's lock_timeout (DB_LOCK_TIMEOUT_MS), so a hot row fails the same way.
    env = {**os.environ, "PGOPTIONS": "-c lock_timeout=5000", "PGCONNECT_TIMEOUT": "10"}
    cpu_before = cpu_snapshot(None)
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds(DURATION) + 120
    )
    cpu_after = cpu_snapshot(None)
    if done.returncode not in (0, 2):
        raise RuntimeError(f"pgbench failed: {done.stdout}{done.stderr}")
    tps = float(re.search(r"tps = ([\d.]+)", done.stdout)[1])
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    latencies = []
    for path in logdir.glob(prefix.name + ".*"):
        for line in path.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[2].isdigit():
                latencies.append(int(fields[2]))
        path.unlink()
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] / 1000

    row = {
        "scenario": "pgbench purchase SQL, " + ("one user (hot row)" if hot else "1,000 users"),
        "server": f"PostgreSQL, {CONNECTIONS} clients, -M prepared",
        "rps": round(tps, 1),
        "p50_ms": round(pct(0.50), 2),
        "p99_ms": round(pct(0.99), 2),
        "errors": int(failed[1]) if failed else 0,
        "requests": len(latencies),
        "loadavg_before": round(load_before, 2),
        "cpu_ms_per_request": cpu_per_request(cpu_before, cpu_after, len(latencies)),
        "baseline_rps": None,
        "ratio": None,
    }
    log(f"  {row['scenario']}: {row['rps']} tps, p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms")
    return row


# --- checks and profiles -------------------------------------------------------------------
RECONCILE_SQL = """
    SELECT count(*) FROM accounts_user AS u
    LEFT JOIN (
        SELECT user_id,
               sum(CASE WHEN kind = 'purchase' THEN -amount ELSE amount END) AS total
        FROM ledger_transaction WHERE status = 'completed' GROUP BY user_id
    ) AS t ON t.user_id = u.id
    WHERE u.balance <> coalesce(t.total, 0)
"""


def reconcile():
    """Users whose balance differs from their ledger after the load (must be 0)."""
    with psycopg.connect(DATABASE_URL, connect_timeout=10) as conn:
        return conn.execute(RECONCILE_SQL).fetchone()[0]


# Where a worker's CPU goes. Each sample goes to the first of these met walking its stack from
# the leaf up (self time by component); the inclusive ones count any sample passing through.
PROFILE_COMPONENTS = (
    ("psycopg (send/receive, adapt, rows)", "psycopg/"),
    ("Redis client (django-redis, redis-py)", "redis/"),
    ("logging (app + gunicorn access log)", "logging/"),
    ("DRF serializers", "rest_framework/serializers.py"),
    ("DRF serializers", "rest_framework/fields.py"),
    ("JSON rendering", "rest_framework/renderers.py"),
    ("JSON rendering", "json/"),
    ("Django ORM (query building, model instances)", "django/db/"),
    ("DRF (request, auth, permissions, views)", "rest_framework/"),
    ("Django (handler, middleware, URLs, signals)", "django/"),
    ("app code (economy/)", "economy/"),
    ("gunicorn (HTTP parsing, sockets)", "gunicorn/"),
    # Under ASGI (asgiref also holds Django's thread-locals under WSGI):
    ("asgiref (sync/async hand-offs, thread-locals)", "asgiref/"),
    ("uvicorn (HTTP, the event loop)", "uvicorn/"),
    ("asyncio", "asyncio/"),
    ("threads (under ASGI: an executor per request)", "concurrent/futures/"),
    ("threads (under ASGI: an executor per request)", "threading.py"),
)
PROFILE_INCLUSIVE = (
    ("TokenAuthentication, all of it", "rest_framework/authentication.py"),
    ("CONN_HEALTH_CHECKS SELECT 1", "is_usable"),
    ("idempotency decorator, all of it", "economy/common/idempotency.py"),
    ("purchase_product, all of it", "purchase_product"),
    ("inventory cache lookup, all of it", "get_or_build"),
    ("gunicorn access log", "glogging.py"),
)


def summarise_profile(paths):
    """Collapse py-spy raw stacks ("frame;frame;... count") of every worker into shares."""
    total = 0
    own = {}
    inclusive = dict.fromkeys([label for label, _ in PROFILE_INCLUSIVE], 0)
    for path in paths:
        for line in Path(path).read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            if not n.isdigit():
                continue
            n = int(n)
            total += n
            frames = stack.split(";")
            label = "other (stdlib, interpreter)"
            for frame in reversed(frames):
                match = next((lb for lb, needle in PROFILE_COMPONENTS if needle in frame), None)
                if match:
                    label = match
                    break
            own[label] = own.get(label, 0) + n
            for lb, needle in PROFILE_INCLUSIVE:
                if needle in stack:
                    inclusive[lb] += n
    if not total:
        return {}
    ranked = sorted(own.items(), key=lambda kv: -kv[1])
    return {
        "samples": total,
        "self_pct": {k: round(100 * v / total, 1) for k, v in ranked},
        "inclusive_pct": {k: round(100 * v / total, 1) for k, v in inclusive.items()},
    }


def profile(model, fixture, logdir):
    """py-spy --gil (samples of the thread holding the GIL: Python CPU, not the waits inside
    psycopg's C code, which py-spy would otherwise count as busy) over every worker while wrk
    drives purchase, then inventory hits. Sampling slows the workers: not in the table."""
    py_spy = BIN / "py-spy"
    if not py_spy.exists():
        log("py-spy is not installed (pip install -r requirements/bench.txt): no profiles")
        return {}
    outputs = {}
    server = Server(model, logdir).start()
    try:
        for name, script, args in (
            ("purchase", "purchase.lua", (fixture["tokens_file"], fixture["products"]["potion"])),
            ("inventory-hit", "inventory.lua", (fixture["tokens_file"],)),
        ):
            if name == "inventory-hit":
                django_step("bench/bootstrap.py", "warm-inventory", "--fixture", fixture["path"])
            if seconds(WARMUP) > 0:  # before the profilers attach: only the steady state
                _wrk(server, script, args, WARMUP, CONNECTIONS)
            spies = []
            for pid in server.worker_pids():
                out = logdir / f"profile-{name}-{model}-{pid}.txt"
                spies.append(
                    (
                        out,
                        subprocess.Popen(
                            [str(py_spy), "record", "--pid", str(pid), "--format", "raw",
                             "--rate", "100", "--gil", "--duration", str(seconds(DURATION)),
                             "--nonblocking", "--output", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                        ),
                    )
                )  # fmt: skip
            result = run_wrk(server, script, *args, warmup="0")
            for _, spy in spies:
                try:
                    spy.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    spy.kill()
            files = [str(out) for out, _ in spies if out.exists()]
            outputs[name] = {
                "files": files,
                "rps_while_profiled": round(result["rps"], 1),
                **summarise_profile(files),
            }
            log(f"  profile {name}: {json.dumps(outputs[name].get('self_pct'))}")
    finally:
        server.stop()
    return outputs


# --- report ----------------------------------------------------------------------------------
def machine():
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": model}


def table(rows):
    headers = ["scenario", "req/s", "p50 ms", "p99 ms", "errors", "baseline req/s", "ratio"]
    body = []
    for row in rows:
        errors = str(row["errors"])
        if row.get("expected_409"):
            errors += f" (+{row['expected_409']} expected 409)"
        body.append(
            [
                row["scenario"],
                f"{row['rps']:.0f}",
                f"{row['p50_ms']:.1f}",
                f"{row['p99_ms']:.1f}",
                errors,
                "" if row["baseline_rps"] is None else f"{row['baseline_rps']:.0f}",
                "" if row["ratio"] is None else f"{row['ratio']:.2f}",
            ]
        )
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in body:
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths,
                 strict=True))]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def sql_table(counts):
    lines = ["| request | status | SQL statements | PG round trips | Redis commands |"]
    lines.append("|---|---|---|---|---|")
    for name, c in counts.items():
        lines.append(
            f"| {name} | {c['status']} | {c['orm_queries']} | {c['pg_round_trips']} "
            f"| {c['redis_commands']} |"
        )
    return "\n".join(lines)


def main():
    started = time.monotonic()
    run_id = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    logdir = RESULTS / run_id
    logdir.mkdir(parents=True, exist_ok=True)
    unknown = set(MODELS) - set(WORKER_MODELS)
    if unknown:
        sys.exit(f"BENCH_MODELS: unknown {sorted(unknown)}; known: {', '.join(WORKER_MODELS)}")
    wrk, pgbench = ensure_tools()
    if not wrk:
        sys.exit("wrk is required")

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    report = {
        "run": run_id,
        "machine": machine(),
        "settings": {
            "duration": DURATION,
            "warmup": WARMUP,
            "connections": CONNECTIONS,
            "wrk_threads": WRK_THREADS,
            "models": MODELS,
            "workers": WORKERS,
            "gthread_threads": THREADS,
            "settings_module": app_env()["DJANGO_SETTINGS_MODULE"],
            "scenarios": sorted(SCENARIOS),
            "access_log": ACCESS_LOG,
        },
    }
    try:
        log(f"scratch database {DB_NAME}, Redis {REDIS_URL}; logs in {logdir}")
        recreate_database()
        flush_redis()
        django_step("manage.py", "migrate", "--noinput", "-v0")
        fixture = django_step("bench/bootstrap.py", "seed", "--out", str(logdir))
        fixture["path"] = str(logdir / "fixture.json")
        log(f"seeded {fixture['users']} players")
        report["sql_per_request"] = django_step(
            "bench/bootstrap.py", "sql-counts", "--fixture", fixture["path"]
        )

        rows = []
        for model in MODELS:
            rows += http_scenarios(model, fixture, logdir, run_id)
        if pgbench and "pgbench" in SCENARIOS:
            rows.append(run_pgbench(pgbench, fixture, logdir, hot=False))
            rows.append(run_pgbench(pgbench, fixture, logdir, hot=True))
        report["rows"] = rows
        report["ledger_drift_users"] = reconcile()

        if PROFILE:
            report["profiles"] = profile(MODELS[0], fixture, logdir)

        if ROWS and "popular" in SCENARIOS:
            log(f"popular products at {ROWS:,} rows")
            server = Server(MODELS[0], logdir).start()
            try:
                report["popular_products"] = django_step(
                    "bench/bootstrap.py", "popular", "--fixture", fixture["path"],
                    "--rows", str(ROWS), "--url", server.url, timeout=900,
                )  # fmt: skip
            finally:
                server.stop()
    finally:
        stop_all_servers()
        drop_database()
        with contextlib.suppress(Exception):
            flush_redis()
    report["seconds"] = round(time.monotonic() - started, 1)
    add_cpu_figures(report.get("rows", []))

    out = RESULTS / f"{run_id}.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    shutil.copyfile(out, RESULTS / "latest.json")
    print_report(report, out)


# The throughput targets, as ratios to /health on the same server (the hot row has
# none: its requests queue on one row lock by design).
TARGETS = {"purchase, 1,000 users": 0.5, "inventory, cache hit": 0.85}


def add_cpu_figures(rows):
    """/health's CPU per request over each scenario's (same server), noise-proof-ish; and, for
    the rows with a target, the CPU budget the target leaves the server.

    On a machine every tier shares, req/s ratio ~ CPU ratio, so reaching `target` x /health
    means spending at most /health's CPU / target per request, all tiers together. What
    PostgreSQL, Redis and wrk spend on the scenario is measured: the rest of that budget is
    what gunicorn, Django and the service may spend, beside what they spend on /health."""
    health = None
    for row in rows:
        c = row.get("cpu_ms_per_request")
        if not c or row["scenario"].startswith("pgbench"):
            continue
        if row["scenario"].startswith("health"):
            health = c
            continue
        if not health or c["ours"] <= 0:
            continue
        row["cpu_ratio"] = round(health["ours"] / c["ours"], 3)
        target = next((t for name, t in TARGETS.items() if row["scenario"].startswith(name)), 0)
        if target:
            budget = health["ours"] / target
            rest = c["ours"] - c["gunicorn"]
            row["cpu_budget"] = {
                "target": target,
                "budget_ms": round(budget, 3),
                "other_tiers_ms": round(rest, 3),
                "server_allowed_ms": round(budget - rest, 3),
                "server_ms": c["gunicorn"],
                "health_server_ms": health["gunicorn"],
            }


def print_report(report, out):
    m = report["machine"]
    s = report["settings"]
    models = []
    if "gthread" in s["models"]:
        models.append(f"gthread: x {s['gthread_threads']} threads")
    if "asgi" in s["models"]:
        pool = WORKER_MODELS["asgi"]["env"]["DB_POOL_SIZE"]
        models.append(f"asgi: uvicorn's worker, a pool of {pool} connections")
    print()
    print(
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), shared by wrk, gunicorn, PostgreSQL and "
        f"Redis. {s['duration']} per run after {s.get('warmup', '0s')} of warm-up, "
        f"{s['connections']} connections, {s['workers']} workers"
        + (f" ({'; '.join(models)})." if models else ".")
    )
    print()
    print(table(report["rows"]))
    print()
    print(
        "CPU per request (ms) by tier; `others` is the share of the machine other processes "
        "took meanwhile (noise); CPU ratio = /health's CPU per request over the scenario's, "
        "what the req/s ratio would be on an otherwise idle, CPU-bound machine:"
    )
    print(
        "| scenario | gunicorn | postgres | redis | load generator | all ours | others "
        "| CPU ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in report["rows"]:
        c = row.get("cpu_ms_per_request")
        if not c or row["scenario"].startswith("pgbench"):
            continue
        ratio = row.get("cpu_ratio")
        print(
            f"| {row['scenario']} | {c['gunicorn']:.2f} | {c['postgres']:.2f} | "
            f"{c['redis']:.2f} | {c['wrk']:.2f} | {c['ours']:.2f} | {c['others_pct']:.0f} % "
            f"| {'' if ratio is None else f'{ratio:.2f}'} |"
        )
    budgets = [row for row in report["rows"] if row.get("cpu_budget")]
    if budgets:
        print()
        print(
            "The targets as CPU budgets (ms per request, all tiers): what a request may cost "
            "at the target ratio, what PostgreSQL, Redis and wrk spent on it, what that leaves "
            "the server (gunicorn + Django + the service), what the server spent, and what it "
            "spends on /health, which does less than any of these:"
        )
        print(
            "| scenario | target | budget | PostgreSQL + Redis + wrk | left for the server "
            "| server spent | server on /health |"
        )
        print("|---|---|---|---|---|---|---|")
        for row in budgets:
            b = row["cpu_budget"]
            print(
                f"| {row['scenario']} | {b['target']}x | {b['budget_ms']:.2f} | "
                f"{b['other_tiers_ms']:.2f} | {b['server_allowed_ms']:.2f} | "
                f"{b['server_ms']:.2f} | {b['health_server_ms']:.2f} |"
            )
    print()
    print(f"Ledger after the load: {report['ledger_drift_users']} users out of balance.")
    popular = report.get("popular_products")
    if popular:
        api = popular.get("api")
        api_text = (
            f"API cold {api['cold_ms_median']} ms (first {api['cold_ms_first']} ms), "
            f"warm {api['warm_ms']} ms"
            if api
            else "API: /api/v1/analytics/popular-products does not exist yet"
        )
        print(
            f"Popular products at {popular['ledger_rows']:,} ledger rows: EXPLAIN ANALYZE "
            f"{popular['explain_ms_median']} ms (first {popular['explain_ms_first']} ms); "
            f"{api_text}. Plan: {' > '.join(popular['plan'])}"
        )
    for name, prof in (report.get("profiles") or {}).items():
        print()
        print(
            f"py-spy --gil, {name} ({prof.get('rps_while_profiled')} req/s while profiled): "
            "share of the workers' samples holding the GIL (Python CPU), self time by component"
        )
        for label, pct in prof.get("self_pct", {}).items():
            print(f"  {pct:5.1f} %  {label}")
        print("  inclusive (any sample passing through):")
        for label, pct in prof.get("inclusive_pct", {}).items():
            print(f"  {pct:5.1f} %  {label}")
    print()
    print("Statements per request (in-process, Django test client on the bench DB):")
    print(sql_table(report["sql_per_request"]))
    print()
    print(f"Results: {out.relative_to(ROOT)} ({report['seconds']} s)")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        stop_all_servers()
        drop_database()
        sys.exit(130)
