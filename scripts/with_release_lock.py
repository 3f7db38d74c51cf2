"""Run a command while holding a PostgreSQL advisory lock, so release steps never overlap.

    python scripts/with_release_lock.py -- COMMAND [ARG...]

With `docker compose up --scale web=3` every web container runs the release steps at start;
the lock makes them take turns, and the later ones find the migrations already applied.
The lock belongs to this process's session: it is released when the command ends, and by
PostgreSQL itself if this process dies. Gives up after RELEASE_LOCK_TIMEOUT seconds (300).
"""

import os
import subprocess
import sys

from wait_for_db import connect_kwargs

# Any constant works; this one reads "economy" in ASCII and is used by nothing else.
LOCK_KEY = 0x65636F6E6F6D79


def main(argv):
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("with_release_lock: no command given", file=sys.stderr)
        return 2
    url = os.environ.get("DATABASE_URL", "")
    kwargs = connect_kwargs(url) if url else None
    if kwargs is None:  # SQLite: one process at a time by nature
        return subprocess.call(argv)  # noqa: S603

    import psycopg

    timeout_ms = int(float(os.environ.get("RELEASE_LOCK_TIMEOUT", "300")) * 1000)
    with psycopg.connect(**kwargs, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f"SET lock_timeout = {timeout_ms}")
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        except psycopg.errors.LockNotAvailable:
            print(
                f"with_release_lock: another release held the lock for {timeout_ms // 1000}s; "
                "giving up",
                file=sys.stderr,
            )
            return 1
        return subprocess.call(argv)  # noqa: S603


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
