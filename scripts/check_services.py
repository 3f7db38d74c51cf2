"""Stop `make test` early, with one line, when PostgreSQL or Redis cannot be reached."""

import os
import sys
from urllib.parse import urlparse


def main():
    db_url = os.environ["DATABASE_URL"]
    redis_url = os.environ["REDIS_URL"]
    import psycopg
    import redis

    parsed = urlparse(db_url)
    try:
        # Connect to the maintenance database: the test database may not exist yet.
        psycopg.connect(
            host=parsed.hostname,
            port=parsed.port or 5432,
            user=parsed.username or "postgres",
            password=parsed.password,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except Exception as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        sys.exit(f"PostgreSQL is unreachable at {parsed.hostname}:{parsed.port or 5432}: {reason}")
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as exc:
        sys.exit(f"Redis is unreachable at {redis_url}: {exc}")


if __name__ == "__main__":
    main()
