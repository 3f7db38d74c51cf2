"""The local servers the out-of-process tests (tests/deploy, tests/reliability) talk to, and
scratch databases of their own on the PostgreSQL that `make test` points at."""

import os
import socket
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ

REPO = Path(__file__).resolve().parents[1]
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
