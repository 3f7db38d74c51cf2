"""Wait until the PostgreSQL database named by DATABASE_URL accepts connections.

    python scripts/wait_for_db.py [--timeout SECONDS]

Exits 0 as soon as `SELECT 1` succeeds on the target database itself (not only the server: the
postgres container creates the database after it starts listening), 1 when the timeout
(DB_WAIT_TIMEOUT, default 60 s) runs out. Without DATABASE_URL, or with a non-PostgreSQL one,
there is nothing to wait for.

Also importable: `connect_kwargs(url)` turns any URL django-environ understands into psycopg
keyword arguments, so the scripts and the settings read the URL the same way.
"""

import argparse
import os
import sys
import time

import environ

POSTGRES_ENGINE = "django.db.backends.postgresql"


def connect_kwargs(url):
    """psycopg.connect() keyword arguments for a DATABASE_URL, or None if it is not PostgreSQL."""
    config = environ.Env.db_url_config(url)
    if config.get("ENGINE") != POSTGRES_ENGINE:
        return None
    kwargs = {
        "dbname": config.get("NAME") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
    }
    kwargs.update(config.get("OPTIONS", {}))
    return {key: value for key, value in kwargs.items() if value is not None}


def wait_for_db(url, *, timeout, interval=1.0, out=sys.stderr):
    """Return True once the database answers `SELECT 1`, False when `timeout` seconds pass."""
    import psycopg

    kwargs = connect_kwargs(url)
    where = f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 5432)}/{kwargs.get('dbname')}"
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        attempt += 1
        remaining = deadline - time.monotonic()
        try:
            with psycopg.connect(**kwargs, connect_timeout=max(1, min(5, int(remaining)))) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if time.monotonic() + interval >= deadline:
                print(
                    f"wait_for_db: PostgreSQL at {where} still unavailable after {timeout:g}s: "
                    f"{reason}",
                    file=out,
                )
                return False
            if attempt == 1 or attempt % 10 == 0:
                print(f"wait_for_db: waiting for PostgreSQL at {where} ({reason})", file=out)
            time.sleep(interval)
        else:
            print(f"wait_for_db: PostgreSQL at {where} is ready", file=out)
            return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--timeout",
        type=float,
        default=float(os.environ.get("DB_WAIT_TIMEOUT", "60")),
        help="give up after this many seconds (default: $DB_WAIT_TIMEOUT or 60)",
    )
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between attempts")
    args = parser.parse_args(argv)

    url = os.environ.get("DATABASE_URL", "")
    if not url or connect_kwargs(url) is None:
        print("wait_for_db: DATABASE_URL is not PostgreSQL; nothing to wait for", file=sys.stderr)
        return 0
    return 0 if wait_for_db(url, timeout=args.timeout, interval=args.interval) else 1


if __name__ == "__main__":
    sys.exit(main())
