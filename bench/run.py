"""`make bench`: the working tree under load, beside a baseline revision measured in the same run.

Each side (the baseline when BENCH_BASELINE is set, and the current working tree) gets its own
scratch PostgreSQL database and Redis DB (SIDES below: only those are dropped and flushed),
migrated and seeded by its own manage.py and bench/bootstrap.py: 1,000 players, a hot player
and a trusted backend. Each side is served from its own tree, under each server model of
WORKER_MODELS in turn: gunicorn's sync workers with its own docker/gunicorn.conf.py (through
bench/gunicorn.conf.py: production settings, access log on, the application preloaded, no
worker recycling), then granian with its own docker/granian_server.py; on a free port of
127.0.0.1. The same wrk
scripts (bench/lua/) drive both: for each scenario, BENCH_ROUNDS rounds of baseline then current,
so that a noisy machine slows both alike. Then each side's `manage.py reconcile_ledger` checks
its books, the current side's statements per request are counted in-process, and at BENCH_ROWS
more ledger rows popular products are timed, then a player's history and the dashboard's
queries are explained, and the history again on a monthly-partitioned copy of the ledger
(bench/bootstrap.py growth: the plans in <results>/current/growth-plans.txt). Prints one
table, writes bench/results/<timestamp>.json (and latest.json) with the servers' logs beside it.

The baseline is a `git worktree add --detach` of BENCH_BASELINE in a temporary directory, removed
at the end, with a virtualenv of its own made from its requirements/bench.txt and kept in
bench/.baselines/ for the next run (keyed by the hash of its requirements/*.txt).

Environment (all optional):
    BENCH_BASELINE   a git revision to measure beside the working tree (eb6e43f, main~3); without
                     one, each scenario's ratio is to the same side's /health
    BENCH_DURATION   each measured wrk run, wrk syntax (30s, 1m); default 30s
    BENCH_WARMUP     the same load, not measured, before each run; default 5s, 0 for none
    BENCH_ROUNDS     measured runs per scenario and side, interleaved; default 2
    BENCH_WORKERS    gunicorn workers per side; default production's formula (2 x CPU + 1, <= 8)
    BENCH_ROWS       ledger rows for the queries at scale (current side); default
                     1000000, 0 skips them
    BENCH_DATABASE   the current side's scratch database (it must contain "economy_bench");
                     default economy_bench, the baseline's is the same name + "_base"
    BENCH_REDIS_DB   the current side's Redis DB; default 13, the baseline's 12
    BENCH_SCENARIOS  a subset of SCENARIOS, comma separated (health always runs); default all
    BENCH_MODELS     a subset of WORKER_MODELS, comma separated; default all
    BENCH_REPLICA    1: also the read-heavy scenarios (REPLICA_SCENARIOS) on a primary of the
                     bench's own, alone and then with a streaming replica of it
                     (bench/replication.py), interleaved; ratios to the primary alone
"""

import contextlib
import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import psycopg
import redis
import replication

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
BASELINES = BENCH / ".baselines"
PG = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379"

PLAYERS = 1000
CONNECTIONS = 32
WRK_THREADS = 2
POPULAR_PATH = "/api/v1/analytics/popular-products"


def _seconds(duration):
    match = re.fullmatch(r"(\d+)([smh]?)", duration.strip())
    if not match:
        sys.exit(f"{duration!r}: use a wrk duration, e.g. 30s, 5s or 1m")
    return int(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]


def _default_workers():
    return min(2 * len(os.sched_getaffinity(0)) + 1, 8)


BASELINE = os.environ.get("BENCH_BASELINE", "").strip()
DURATION = os.environ.get("BENCH_DURATION") or "30s"
WARMUP = os.environ.get("BENCH_WARMUP") or "5s"
ROUNDS = int(os.environ.get("BENCH_ROUNDS") or 2)
WORKERS = int(os.environ.get("BENCH_WORKERS") or _default_workers())
ROWS = int(os.environ.get("BENCH_ROWS") or 1_000_000)
REPLICA = os.environ.get("BENCH_REPLICA", "").strip() not in ("", "0")
REPLICA_SCENARIOS = ("history", "popular")


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the two sides ---------------------------------------------------------------------------
@dataclass
class Side:
    """One revision of the service: its tree, its virtualenv and its scratch stores."""

    name: str
    revision: str
    tree: Path
    bin: Path
    database: str
    redis_db: int
    logdir: Path
    fixture: dict = field(default_factory=dict)
    url: str = ""
    pg: str = PG  # the PostgreSQL server holding its database
    replica_url: str = ""  # DATABASE_REPLICA_URLS, if it reads from a replica

    @property
    def database_url(self):
        return f"{self.pg}/{self.database}"

    @property
    def redis_url(self):
        return f"{REDIS}/{self.redis_db}"

    def env(self, **extra):
        """Production settings, pointed at this side's scratch stores."""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "bench-only-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "False",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CELERY_BROKER_URL": self.redis_url,
            "CACHE_KEY_PREFIX": "economy-bench",
            # Collected once per side (prepare), as a release does: production refuses to
            # serve without the static files' manifest.
            "STATIC_ROOT": str(self.logdir / "static"),
            # The rate limiter stays on (its Redis round trip is part of the cost), with limits
            # no benchmark reaches.
            "ECONOMY_RATE_LIMIT_WRITES": "1000000/m",
            "ECONOMY_RATE_LIMIT_LOGIN": "1000000/m",
            "LOG_LEVEL": "WARNING",
            "DATABASE_REPLICA_URLS": self.replica_url,
            **extra,
        }

    def python(self, *args, timeout=600, check=True):
        """Run this side's python in its tree (manage.py, bench/bootstrap.py)."""
        done = subprocess.run(
            [str(self.bin / "python"), *args],
            cwd=self.tree,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
            raise RuntimeError(f"{self.name}: {' '.join(args[:2])} exited {done.returncode}")
        return done

    def bootstrap(self, *args, timeout=600):
        """This side's bench/bootstrap.py; its last line of output, as JSON."""
        done = self.python("bench/bootstrap.py", *args, timeout=timeout)
        return json.loads(done.stdout.strip().splitlines()[-1])


# Two people benchmarking on one machine give each run a database and a Redis DB of its own.
SCRATCH = os.environ.get("BENCH_DATABASE") or "economy_bench"
if "economy_bench" not in SCRATCH:
    sys.exit("BENCH_DATABASE: a scratch database's name contains economy_bench")
SIDES = {
    "baseline": {"database": f"{SCRATCH}_base", "redis_db": 12},
    "current": {"database": SCRATCH, "redis_db": int(os.environ.get("BENCH_REDIS_DB") or 13)},
    # BENCH_REPLICA: one database on the bench's own primary, read alone or with its replica.
    "primary": {"database": SCRATCH, "redis_db": 10},
    "replica": {"database": SCRATCH, "redis_db": 9},
}


def _admin(pg=PG):
    return psycopg.connect(f"{pg}/postgres", autocommit=True, connect_timeout=10)


def prepare(side):
    """A fresh database and Redis DB for the side, migrated and seeded by its own code."""
    log(f"{side.name}: {side.revision}; database {side.database}, Redis DB {side.redis_db}")
    with _admin(side.pg) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{side.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{side.database}"')
    redis.Redis.from_url(side.redis_url, socket_timeout=5).flushdb()
    side.python("manage.py", "collectstatic", "--noinput", "-v0")
    side.python("manage.py", "migrate", "--noinput", "-v0")
    side.fixture = side.bootstrap("seed", "--out", str(side.logdir), "--users", str(PLAYERS))
    side.fixture["path"] = str(side.logdir / "fixture.json")


def teardown(side):
    try:
        with _admin(side.pg) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{side.database}" WITH (FORCE)')
        redis.Redis.from_url(side.redis_url, socket_timeout=5).flushdb()
    except Exception as exc:
        log(f"{side.name}: could not drop {side.database} or flush Redis: {exc}")


def deadlocks(side):
    """Deadlocks PostgreSQL detected in the side's database, once its clients are gone (a
    backend's statistics are flushed when it exits)."""
    with _admin(side.pg) as conn:
        for _ in range(50):
            query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
            if conn.execute(query, (side.database,)).fetchone()[0] == 0:
                break
            time.sleep(0.2)
        query = "SELECT deadlocks FROM pg_stat_database WHERE datname = %s"
        return conn.execute(query, (side.database,)).fetchone()[0]


def reconcile(side):
    """The side's own `manage.py reconcile_ledger --json`: exit 0 when its books are right."""
    done = side.python("manage.py", "reconcile_ledger", "--json", check=False, timeout=1800)
    try:
        output = json.loads(done.stdout)
    except json.JSONDecodeError:
        output = {}
    drift = len(output.get("drift", [])) + len(output.get("unbalanced_currencies", {}))
    result = {"exit": done.returncode, "checked": output.get("checked"), "drift": drift}
    if done.returncode != 0:
        result["output"] = (done.stdout + done.stderr)[-3000:]
    log(f"{side.name}: reconcile_ledger exit {done.returncode}, {drift} drifting")
    return result


# --- the baseline's checkout -----------------------------------------------------------------
def git(*args, timeout=120):
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def current_revision():
    dirty = " + uncommitted changes" if git("status", "--porcelain") else ""
    return f"working tree (HEAD {git('rev-parse', '--short', 'HEAD')}{dirty})"


@contextlib.contextmanager
def baseline_checkout(revision):
    """A detached worktree of `revision` in a temporary directory, removed on the way out."""
    commit = git("rev-parse", "--verify", f"{revision}^{{commit}}")
    parent = Path(tempfile.mkdtemp(prefix="economy-bench-baseline-"))
    tree = parent / "tree"
    git("worktree", "add", "--detach", str(tree), commit)
    try:
        yield commit, tree
    finally:
        with contextlib.suppress(Exception):
            git("worktree", "remove", "--force", str(tree))
        shutil.rmtree(parent, ignore_errors=True)
        with contextlib.suppress(Exception):
            git("worktree", "prune")


def baseline_venv(tree):
    """The baseline's virtualenv, from its requirements/bench.txt, cached by the hash of its
    requirements files (and the Python that runs the bench)."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted((tree / "requirements").glob("*.txt")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    venv = BASELINES / f"venv-{digest.hexdigest()[:12]}"
    if (venv / ".complete").exists():
        return venv / "bin"
    requirements = tree / "requirements" / "bench.txt"
    if not requirements.exists():
        sys.exit(f"BENCH_BASELINE: {requirements.relative_to(tree)} is missing at that revision")
    log(f"baseline: creating {venv.relative_to(ROOT)} from its requirements/bench.txt")
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "-r", str(requirements)], cwd=tree, check=True, timeout=1800)
    (venv / ".complete").touch()
    return venv / "bin"


# --- servers ---------------------------------------------------------------------------------
def gunicorn(*options):
    """A server model under gunicorn, with production's config and these options on top."""

    def command(side, port):
        return [
            str(side.bin / "gunicorn"),
            "--config", str(BENCH / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(WORKERS),
            *options,
            "config.wsgi:application",
        ], {"BENCH_PRODUCTION_CONFIG": str(side.tree / "docker" / "gunicorn.conf.py")}  # fmt: skip

    return command


sync = gunicorn("--worker-class", "sync")


def granian(side, port):
    """Granian as production runs it (docker/granian_server.py); a side without that file (a
    revision before it) is served as it was in production then, by gunicorn's sync workers."""
    launcher = side.tree / "docker" / "granian_server.py"
    if not launcher.exists():
        log(f"{side.name}: no docker/granian_server.py at this revision: gunicorn's sync workers")
        return sync(side, port)
    env = {"GRANIAN_HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(WORKERS)}
    return [str(side.bin / "python"), str(launcher)], env


# How a side can be served: a name, and the command line and environment from (side, port).
# Another gunicorn model is one more line (gthread: gunicorn("--threads", "4")).
WORKER_MODELS: dict[str, Callable[[Side, int], tuple[list[str], dict[str, str]]]] = {
    "sync": sync,
    "granian": granian,
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(url, method="GET", token=None, timeout=5):
    headers = {"Authorization": f"Token {token}"} if token else {}
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@contextlib.contextmanager
def serving(sides, model):
    """Every side served under `model`, stopped on the way out."""
    processes = []
    try:
        for side in sides:
            processes.append(_start(side, model))
        yield
    finally:
        for process in processes:
            _stop(process)


def _start(side, model):
    """The side's server on a free port, in a process group of its own (so that stopping it
    stops every worker), once it answers."""
    port = free_port()
    logfile = side.logdir / f"server-{model}.log"
    command, env = WORKER_MODELS[model](side, port)
    with open(logfile, "ab") as out:
        process = subprocess.Popen(
            command,
            cwd=side.tree,
            env=side.env(**env),
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    side.url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, side.url, logfile)
    except BaseException:
        _stop(process)
        raise
    log(f"{side.name}: {model}, {WORKERS} workers on {side.url}")
    return process


def _wait_until_up(process, url, logfile):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited, see {logfile}")
        with contextlib.suppress(OSError):
            if http_status(url + "/api/v1/health", timeout=2) == 200:
                break
        time.sleep(0.3)
    else:
        raise RuntimeError(f"the server did not answer within 60 s, see {logfile}")
    # One worker answering is not all of them forked and serving.
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    while time.monotonic() < deadline and len(children.read_text().split()) < WORKERS:
        time.sleep(0.2)
    time.sleep(1)


def _stop(process):
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# --- scenarios -------------------------------------------------------------------------------
def warm_inventory(side):
    side.bootstrap("warm-inventory", "--fixture", side.fixture["path"])


def warm_popular(side):
    status = http_status(side.url + POPULAR_PATH, token=side.fixture["hot_user"]["token"])
    if status != 200:
        raise RuntimeError(f"{side.name}: popular products answered {status} while warming")


class Scenario(NamedTuple):
    name: str  # as BENCH_SCENARIOS names it
    title: str
    script: str  # in bench/lua/
    # The script's arguments from the side's fixture and a key prefix unique to the run.
    args: Callable[[dict, str], tuple]
    expected: tuple[int, ...]  # any other status counts as an error
    # Probed without credentials: a side that answers 404 does not serve the scenario.
    route: tuple[str, str]
    prepare: Callable[[Side], None] | None = None


def holds(name, ending, title):
    """Holds placed by the trusted backend, each ended (bench/lua/hold.lua) by the thread's
    next request unless `ending` is none."""
    return Scenario(
        name,
        title,
        "hold.lua",
        args=lambda fixture, key: (
            ending,
            fixture["tokens_file"],
            fixture["backend"]["token"],
            key,
        ),
        expected=(201,) if ending == "none" else (201, 200),
        route=("POST", "/api/v1/users/1/holds"),
    )


SCENARIOS = [
    Scenario(
        "health",
        "health",
        "get.lua",
        args=lambda fixture, key: ("/api/v1/health",),
        expected=(200,),
        route=("GET", "/api/v1/health"),
    ),
    Scenario(
        "purchase",
        "purchase, 1,000 players",
        "purchase.lua",
        args=lambda fixture, key: (fixture["tokens_file"], fixture["products"]["potion"]),
        expected=(201,),
        route=("POST", "/api/v1/products/1/purchase"),
    ),
    Scenario(
        "hot",
        "purchase, one player (hot row)",
        "purchase_hot.lua",
        args=lambda fixture, key: (fixture["hot_user"]["token"], fixture["products"]["potion"]),
        expected=(201,),
        route=("POST", "/api/v1/products/1/purchase"),
    ),
    Scenario(
        "add-funds",
        "add-funds, fresh key",
        "backend_post.lua",
        args=lambda fixture, key: (
            "add-funds",
            fixture["tokens_file"],
            fixture["backend"]["token"],
            key,
        ),
        expected=(201,),
        route=("POST", "/api/v1/users/1/add-funds"),
    ),
    Scenario(
        "spend",
        "spend, fresh key",
        "backend_post.lua",
        args=lambda fixture, key: (
            "spend",
            fixture["tokens_file"],
            fixture["backend"]["token"],
            key,
        ),
        expected=(201,),
        route=("POST", "/api/v1/users/1/spend"),
    ),
    holds("hold-place", "none", "hold, place"),
    holds("hold-capture", "capture", "hold, place then capture (half each)"),
    holds("hold-void", "void", "hold, place then void (half each)"),
    Scenario(
        "transfer",
        "transfer, fresh key",
        "transfer.lua",
        args=lambda fixture, key: (fixture["tokens_file"], fixture["backend"]["token"], key),
        expected=(201,),
        route=("POST", "/api/v1/transfers"),
    ),
    Scenario(
        "inventory-hit",
        "inventory, cache hit",
        "own.lua",
        args=lambda fixture, key: (fixture["tokens_file"], "inventory"),
        expected=(200,),
        route=("GET", "/api/v1/users/1/inventory"),
        prepare=warm_inventory,
    ),
    Scenario(
        "history",
        "history, first page",
        "own.lua",
        args=lambda fixture, key: (fixture["tokens_file"], "transactions"),
        expected=(200,),
        route=("GET", "/api/v1/users/1/transactions"),
    ),
    Scenario(
        "popular",
        "popular products, cached",
        "get.lua",
        args=lambda fixture, key: (POPULAR_PATH, fixture["tokens_file"]),
        expected=(200,),
        route=("GET", POPULAR_PATH),
        prepare=warm_popular,
    ),
]


def chosen(variable, known):
    """The names the variable lists, comma separated (all of `known` when it is unset)."""
    names = [n.strip() for n in os.environ.get(variable, "").split(",") if n.strip()]
    unknown = set(names) - set(known)
    if unknown:
        sys.exit(f"{variable}: unknown {sorted(unknown)}; known: {', '.join(known)}")
    return [name for name in known if not names or name in names]


def wrk(url, script, args, duration):
    """One wrk run; its BENCH_JSON line (bench/lua/report.lua), parsed."""
    command = [
        "wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{duration}", "--timeout", "10s",
        "-s", str(BENCH / "lua" / script), url, "--", *map(str, args),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=_seconds(duration) + 60
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk {script} failed: {done.stdout}{done.stderr}")
    return json.loads(line.removeprefix("BENCH_JSON "))


def measure(side, scenario, key):
    """One measured run of a scenario on a side, after its warm-up."""
    if scenario.prepare:
        scenario.prepare(side)
    if _seconds(WARMUP) > 0:
        wrk(side.url, scenario.script, scenario.args(side.fixture, key + "-warmup"), WARMUP)
    result = wrk(side.url, scenario.script, scenario.args(side.fixture, key), DURATION)
    statuses = {int(s): n for s, n in result["statuses"].items()}
    run = {
        "rps": round(result["requests"] / (result["duration_us"] / 1e6), 1),
        "p50_ms": round(result["latency_us"]["p50"] / 1000, 2),
        "p99_ms": round(result["latency_us"]["p99"] / 1000, 2),
        "errors": sum(n for s, n in statuses.items() if s not in scenario.expected)
        + sum(result["socket_errors"].values()),
        "statuses": statuses,
        "socket_errors": result["socket_errors"],
        "replayed": result["replayed"],
        "requests": result["requests"],
    }
    log(
        f"  {scenario.title} [{side.name}]: {run['rps']} req/s, p50 {run['p50_ms']} ms, "
        f"p99 {run['p99_ms']} ms, statuses {statuses}, socket errors {run['socket_errors']}"
    )
    return run


def serves(side, scenario):
    method, path = scenario.route
    return http_status(side.url + path, method=method) != 404


def run_scenarios(sides, model, scenarios, run_id):
    """Every scenario, ROUNDS times on each side in turn: {(scenario, side name): [runs]}."""
    runs = {}
    for scenario in scenarios:
        served = [side for side in sides if serves(side, scenario)]
        for side in (side for side in sides if side not in served):
            log(f"  {scenario.title}: not served by {side.name} ({side.revision})")
        for round_ in range(ROUNDS):
            for side in served:
                key = f"{run_id}-{model}-{scenario.name}-{side.name}-{round_}"
                runs.setdefault((scenario.name, side.name), []).append(measure(side, scenario, key))
    return runs


# --- the table -------------------------------------------------------------------------------
def summarise(runs):
    """A side's runs of a scenario: medians of req/s, p50 and p99; errors added up."""
    return {
        "rps": round(statistics.median(r["rps"] for r in runs), 1),
        "p50_ms": round(statistics.median(r["p50_ms"] for r in runs), 2),
        "p99_ms": round(statistics.median(r["p99_ms"] for r in runs), 2),
        "errors": sum(r["errors"] for r in runs),
        "error_detail": [
            {"statuses": r["statuses"], "socket_errors": r["socket_errors"]}
            for r in runs
            if r["errors"]
        ],
        "rounds_rps": [r["rps"] for r in runs],
    }


def rows_for(model, scenarios, runs, side_names, label, reference="baseline"):
    """One row per scenario and side that ran it, with its ratios to the `reference` side."""
    rows = []
    for scenario in scenarios:
        figures = {
            n: summarise(runs[scenario.name, n]) for n in side_names if (scenario.name, n) in runs
        }
        for name in figures:
            health = None if scenario.name == "health" else summarise(runs["health", name])
            rows.append(
                {
                    "scenario": scenario.title + label,
                    "side": name,
                    "model": model,
                    **figures[name],
                    **ratios(
                        name,
                        figures,
                        health,
                        reference=reference if reference in side_names else None,
                    ),
                }
            )
    return rows


def ratios(name, figures, health, *, reference):
    """With a reference side (the baseline), a side's req/s and p99 over the reference's (none
    for a scenario the reference does not serve); without one, its req/s over its own /health."""
    mine = figures[name]
    if reference is not None:
        base = figures.get(reference)
        if name == reference or base is None:
            return {"ratio": None, "p99_ratio": None, "ratio_to": None}
        return {
            "ratio": round(mine["rps"] / base["rps"], 2),
            "p99_ratio": round(mine["p99_ms"] / base["p99_ms"], 2),
            "ratio_to": reference,
        }
    if health is None:
        return {"ratio": None, "p99_ratio": None, "ratio_to": None}
    return {
        "ratio": round(mine["rps"] / health["rps"], 2),
        "p99_ratio": None,
        "ratio_to": "/health",
    }


def table(rows):
    headers = ["scenario", "side", "req/s", "p50 ms", "p99 ms", "errors", "ratio", "p99 ratio"]
    headers.append("req/s by round")
    body = [
        [
            row["scenario"],
            row["side"],
            f"{row['rps']:.0f}",
            f"{row['p50_ms']:.1f}",
            f"{row['p99_ms']:.1f}",
            str(row["errors"]),
            "" if row["ratio"] is None else f"{row['ratio']:.2f}",
            "" if row["p99_ratio"] is None else f"{row['p99_ratio']:.2f}",
            ", ".join(f"{rps:.0f}" for rps in row["rounds_rps"]),
        ]
        for row in rows
    ]
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]

    def line(cells):
        # Text columns to the left, figures to the right.
        padded = [c.ljust(w) for c, w in zip(cells[:2], widths, strict=False)]
        padded += [c.rjust(w) for c, w in zip(cells[2:], widths[2:], strict=True)]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in body)])


def print_report(report, out):
    print()
    print_header(report)
    print()
    print(table(report["rows"]))
    print()
    if report.get("replica_rows"):
        print("Read replica: the same tree on a primary of its own, alone and with a replica")
        print(table(report["replica_rows"]))
        print()
    print_checks(report)
    if report.get("popular_products"):
        print_popular(report["popular_products"])
    if report.get("growth"):
        print_growth(report["growth"])
    print()
    print_counts(report["sql_per_request"])
    print()
    print(f"Results: {out.relative_to(ROOT)} ({report['seconds']} s)")


def print_header(report):
    s = report["settings"]
    m = report["machine"]
    for name, side in report["sides"].items():
        print(f"{name}: {side['revision']}")
    print(
        f"{m['nproc']} CPUs ({m['cpu']}) shared by wrk, the servers, PostgreSQL and Redis. "
        f"{s['rounds']} rounds of {s['duration']} per scenario and side, after {s['warmup']} of "
        f"warm-up each, {s['connections']} connections, {s['workers']} workers per side. "
        "Medians over the rounds; errors added up."
    )
    if "baseline" in report["sides"]:
        print("ratio: current / baseline, of req/s and of p99.")
    else:
        print("ratio: req/s over the same side's /health.")


def print_checks(report):
    for row in report["rows"]:
        if row["errors"]:
            print(f"Errors, {row['scenario']} [{row['side']}]: {row['error_detail']}")
    for name, checks in report["reconcile"].items():
        for when, result in checks.items():
            print(
                f"Ledger, {name} side, {when}: reconcile_ledger exit {result['exit']}, "
                f"{result['drift']} drifting of {result['checked']} checked."
            )
    for name, errors in report["server_errors_logged"].items():
        print(
            f"{name} side: {errors} error lines in the server's log (level ERROR or a "
            f"traceback); {report['deadlocks'][name]} deadlocks detected by PostgreSQL."
        )


def print_popular(popular):
    api = popular["api"]
    print(
        f"Popular products at {popular['ledger_rows']:,} ledger rows (current side): "
        f"EXPLAIN ANALYZE {popular['explain_ms_median']} ms (first "
        f"{popular['explain_ms_first']} ms, {popular['shared_buffers_hit']} buffers hit, "
        f"{popular['shared_buffers_read']} read); API cold {api['cold_ms_median']} ms "
        f"(first {api['cold_ms_first']} ms), warm {api['warm_ms']} ms. "
        f"Plan: {' > '.join(popular['plan'])}"
    )


def print_growth(growth):
    print(f"At {growth['ledger_rows']:,} ledger rows (EXPLAIN ANALYZE, median of 3):")
    partitioned = growth["partitioned"]
    queries = [
        *growth["queries"].items(),
        *((f"{name} (partitioned)", q) for name, q in partitioned["queries"].items()),
    ]
    for name, q in queries:
        reads = "a sequential scan of the ledger" if q["ledger_seq_scan"] else "no ledger seq scan"
        indexes = ", ".join(q["indexes"]) or "no index"
        print(
            f"  {name}: {q['ms_median']} ms ({q['shared_hit']} buffers hit, "
            f"{q['shared_read']} read); {reads}; {indexes}"
        )
    print(
        f"  Partitioned copy: {partitioned['rows']:,} rows in {len(partitioned['partitions'])} "
        f"monthly partitions, built in {partitioned['build_seconds']} s; UNIQUE (refund_of) "
        f"without created_at: {partitioned['unique_refund_of_without_created_at']}. "
        f"Plans: {growth['plans']}"
    )


def print_counts(counts):
    print("Statements per request (current side, in-process, steady state):")
    print("| request | status | SQL statements (Django) | PG round trips | Redis commands |")
    print("|---|---|---|---|---|")
    for name, c in counts.items():
        print(
            f"| {name} | {c['status']} | {c['orm_queries']} | {c['pg_round_trips']} "
            f"| {c['redis_commands']} |"
        )


# --- the run ---------------------------------------------------------------------------------
def ensure_wrk():
    if shutil.which("wrk"):
        return
    log("installing wrk (apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "-n", "apt-get"]
    subprocess.run([*apt, "update", "-qq"], env=env, timeout=300, check=False)
    subprocess.run([*apt, "install", "-y", "-qq", "wrk"], env=env, timeout=300, check=True)


def machine():
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu}


def errors_logged(side):
    count = 0
    for path in side.logdir.glob("server-*.log"):
        for line in path.read_text(errors="replace").splitlines():
            count += '"level": "ERROR"' in line or line.startswith("Traceback")
    return count


def make_side(name, revision, tree, bin_, logdir, **extra):
    (logdir / name).mkdir(parents=True, exist_ok=True)
    return Side(name, revision, tree, bin_, logdir=logdir / name, **SIDES[name], **extra)


def open_sides(stack, logdir):
    """The sides to measure, prepared; their clean-up (and the baseline's checkout) on `stack`."""
    sides = []
    if BASELINE:
        commit, tree = stack.enter_context(baseline_checkout(BASELINE))
        bin_ = baseline_venv(tree)
        sides.append(make_side("baseline", f"{BASELINE} ({commit[:12]})", tree, bin_, logdir))
    current = make_side("current", current_revision(), ROOT, Path(sys.executable).parent, logdir)
    sides.append(current)
    for side in sides:
        stack.callback(teardown, side)
        prepare(side)
    return sides


def load(sides, models, report, run_id):
    """Every scenario under every server model, interleaved; the table's rows."""
    names = chosen("BENCH_SCENARIOS", [scenario.name for scenario in SCENARIOS])
    # /health always runs: the ratios without a baseline are to it.
    scenarios = [s for s in SCENARIOS if s.name == "health" or s.name in names]
    report["rows"], report["runs"] = [], []
    for model in models:
        with serving(sides, model):
            runs = run_scenarios(sides, model, scenarios, run_id)
        label = f" [{model}]" if len(models) > 1 else ""
        report["rows"] += rows_for(model, scenarios, runs, [s.name for s in sides], label)
        report["runs"] += [
            {"model": model, "scenario": sc, "side": sd, "runs": r} for (sc, sd), r in runs.items()
        ]


def replica_comparison(stack, logdir, run_id, model):
    """The read-heavy scenarios on a primary of the bench's own, alone and then with a
    streaming replica of it, interleaved as the sides are: the table's rows, ratios to the
    primary alone. Both run on this machine, so the replica competes for its cores."""
    cluster = stack.enter_context(replication.primary_and_replica())
    pg = f"postgres://postgres@127.0.0.1:{cluster.ports['primary']}"
    venv = Path(sys.executable).parent
    alone = make_side("primary", current_revision(), ROOT, venv, logdir, pg=pg)
    stack.callback(teardown, alone)
    prepare(alone)
    replica_url = cluster.url("replica", alone.database)
    with_replica = make_side(
        "replica", alone.revision, ROOT, venv, logdir, pg=pg, replica_url=replica_url
    )
    with_replica.fixture = alone.fixture
    redis.Redis.from_url(with_replica.redis_url, socket_timeout=5).flushdb()
    with_replica.python("manage.py", "collectstatic", "--noinput", "-v0")
    sides = [alone, with_replica]
    scenarios = [s for s in SCENARIOS if s.name == "health" or s.name in REPLICA_SCENARIOS]
    with serving(sides, model):
        runs = run_scenarios(sides, model, scenarios, f"{run_id}-replica")
    return rows_for(model, scenarios, runs, ["primary", "replica"], "", reference="primary")


def popular_at_scale(current, model):
    """BENCH_ROWS more ledger rows on the current side, then the popular-products query's plan
    and the API's time with its cache emptied."""
    log(f"current: popular products at {ROWS:,} more ledger rows")
    with serving([current], model):
        return current.bootstrap(
            "popular", "--fixture", current.fixture["path"], "--rows", str(ROWS),
            "--url", current.url, timeout=3600,
        )  # fmt: skip


def growth_at_scale(current):
    """On the same rows: the history, popular products and the dashboard's plans, and the
    history on a monthly-partitioned copy of the ledger."""
    log("current: a ledger that grows: plans at scale, and a partitioned copy")
    return current.bootstrap("growth", "--out", str(current.logdir), timeout=3600)


def measure_all(stack, report, logdir, run_id):
    sides = open_sides(stack, logdir)
    current = sides[-1]
    report["sides"] = {s.name: {"revision": s.revision, "tree": str(s.tree)} for s in sides}
    report["sql_per_request"] = current.bootstrap(
        "sql-counts", "--fixture", current.fixture["path"]
    )
    models = chosen("BENCH_MODELS", list(WORKER_MODELS))
    load(sides, models, report, run_id)
    report["reconcile"] = {side.name: {"after the load": reconcile(side)} for side in sides}
    if REPLICA:
        report["replica_rows"] = replica_comparison(stack, logdir, run_id, models[0])
    if ROWS:
        report["popular_products"] = popular_at_scale(current, models[0])
        report["growth"] = growth_at_scale(current)
        report["reconcile"]["current"]["after the synthetic rows"] = reconcile(current)
    report["server_errors_logged"] = {side.name: errors_logged(side) for side in sides}
    report["deadlocks"] = {side.name: deadlocks(side) for side in sides}


def main():
    started = time.monotonic()
    run_id = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    logdir = RESULTS / run_id
    logdir.mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    # `timeout` and Ctrl-C alike unwind through the clean-up below.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    report = {
        "run": run_id,
        "machine": machine(),
        "settings": {
            "baseline": BASELINE or None,
            "duration": DURATION,
            "warmup": WARMUP,
            "rounds": ROUNDS,
            "connections": CONNECTIONS,
            "wrk_threads": WRK_THREADS,
            "players": PLAYERS,
            "workers": WORKERS,
            "rows": ROWS,
            "replica": REPLICA,
        },
    }
    log(f"logs in {logdir.relative_to(ROOT)}")
    with contextlib.ExitStack() as stack:
        measure_all(stack, report, logdir, run_id)
    report["seconds"] = round(time.monotonic() - started, 1)
    out = RESULTS / f"{run_id}.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    shutil.copyfile(out, RESULTS / "latest.json")
    print_report(report, out)


if __name__ == "__main__":
    main()
