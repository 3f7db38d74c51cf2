"""Real processes and scratch stores for the out-of-process tests (tests/deploy,
tests/reliability): databases of their own on the PostgreSQL that `make test` points at,
redis-server, the web servers and celery on spare loopback ports, always bounded in time and
stopped."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
import pytest

REPO = Path(__file__).resolve().parents[2]
# The interpreter running the suite is the project's venv: its bin/ holds gunicorn and celery.
VENV_BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/economy"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def database_url():
    return os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)


def with_dbname(url, name):
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def connect(url, **extra):
    """A psycopg connection to the database of a DATABASE_URL."""
    import psycopg

    config = environ.Env.db_url_config(url)
    kwargs = {
        "dbname": config["NAME"],
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
    }
    kwargs = {key: value for key, value in kwargs.items() if value is not None}
    return psycopg.connect(**kwargs, connect_timeout=5, **extra)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def scratch_database(prefix):
    """A fresh, empty database on the local server; its URL. Dropped afterwards, whoever is
    still connected to it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin_url = with_dbname(database_url(), "postgres")
    with connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_dbname(database_url(), name)
    finally:
        with connect(admin_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def run(args, *, env, timeout=180, **kwargs):
    """subprocess.run from the repository root, output captured as text, always bounded."""
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )


def http_get(url, headers=None, timeout=5):
    """(status, headers, body) of a GET; redirects are returned, not followed."""
    return _request("GET", url, None, headers, timeout)


# The web role's two servers, as docker/entrypoint.sh starts them (WEB_SERVER), on a port.
WEB_SERVERS = {
    "granian": lambda port: (
        [str(VENV_BIN / "python"), "docker/granian_server.py"],
        {"GRANIAN_HOST": "127.0.0.1", "PORT": str(port)},
    ),
    "gunicorn": lambda port: (
        [
            str(VENV_BIN / "gunicorn"),
            "--config",
            "docker/gunicorn.conf.py",
            "config.wsgi:application",
        ],
        {"GUNICORN_BIND": f"127.0.0.1:{port}"},
    ),
}


@contextmanager
def running_web(server, env, log_dir, *, startup_timeout=45):
    """The web role's `server` (granian or gunicorn, with its docker/ configuration) on a free
    loopback port, one worker; yields its base URL.

    Its stdout (access log) and stderr (the server's and the application's log) go to
    <server>.stdout and <server>.stderr in log_dir, read by the caller after the block. Stopped
    with SIGTERM, then SIGKILL.
    """
    port = free_port()
    command, server_env = WEB_SERVERS[server](port)
    env = {**env, **server_env, "WEB_CONCURRENCY": "1"}
    base_url = f"http://127.0.0.1:{port}"
    stdout = (log_dir / f"{server}.stdout").open("w")
    stderr = (log_dir / f"{server}.stderr").open("w")
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"{server} exited with {process.returncode} before answering:\n"
                    + (log_dir / f"{server}.stderr").read_text()
                )
            try:
                http_get(f"{base_url}/api/v1/health", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"{server} did not answer within {startup_timeout}s:\n"
                        + (log_dir / f"{server}.stderr").read_text()
                    )
                time.sleep(0.2)
        yield base_url
    finally:
        stop(process, timeout=20)
        stdout.close()
        stderr.close()


def production_env(**overrides):
    """The environment of a server or worker process started the way production starts it:
    this process's environment minus the test run's own settings, plus `overrides`."""
    import secrets
    import uuid

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "CACHE_KEY_PREFIX", "TEST_DATABASE"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        CACHE_KEY_PREFIX=f"reliability-{uuid.uuid4().hex[:8]}",
    )
    env.update(overrides)
    return env


def wait_until(predicate, *, timeout, interval=0.05, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def start(args, *, env=None, log_path=None):
    """A subprocess in its own process group (so stop() reaches its children too)."""
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(
        [str(arg) for arg in args],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def start_worker(env, queue, log_path, *, pool="solo", concurrency=1, include=()):
    """A real Celery worker of the service on `queue` only, its output in `log_path`."""
    extra = [arg for module in include for arg in ("--include", module)]
    return start(
        [
            VENV_BIN / "celery",
            "-A",
            "config",
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "--queues",
            queue,
            *extra,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ],
        env=env,
        log_path=log_path,
    )


def stop(process, sig=signal.SIGTERM, timeout=10):
    """Signal the process group of a process started by start(); SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        pass


class RedisServer:
    """A throwaway redis-server on a spare port, nothing persisted; stop() and start() again
    reuse the same port, like a Redis that restarts."""

    def __init__(self, data_dir=None):
        self.port = free_port()
        self.data_dir = data_dir
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        args = ["redis-server", "--port", self.port, "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no"]
        if self.data_dir:
            # Never saved on its own; snapshot() writes the file a restart loads.
            args += ["--dir", self.data_dir, "--dbfilename", "dump.rdb"]
        self.process = start(args)
        wait_until(lambda: port_open(self.port), timeout=10, message="redis-server to listen")

    def snapshot(self):
        import redis

        redis.Redis.from_url(self.url).save()

    def kill(self):
        stop(self.process, signal.SIGKILL)


def http(method, url, *, body=None, headers=None, timeout=10):
    """(status, body bytes) of a request; errors are returned, not raised; no redirects."""
    data = body.encode() if isinstance(body, str) else body
    status, _, content = _request(method, url, data, headers, timeout)
    return status, content


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _request(method, url, data, headers, timeout):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def manage_on_sqlite(*args, database):
    """`manage.py <args>` in a process of its own on the embedded default (`make run`'s
    settings) with the SQLite file `database`; its stdout. Fails the test if it fails."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "PYTEST_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", SQLITE_PATH=str(database))
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
