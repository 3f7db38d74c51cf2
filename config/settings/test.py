"""Settings for the test suite: PostgreSQL and Redis, fast password hashing."""

import os

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, env

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" and not env.bool(
    "ALLOW_SQLITE_TESTS", default=False
):
    raise RuntimeError("The test suite runs on PostgreSQL: set DATABASE_URL (make test does).")

# Tests open and close many connections from threads; do not keep them around.
DATABASES["default"]["CONN_MAX_AGE"] = 0
# One test database per test run, so two runs on one machine never drop each other's.
DATABASES["default"]["TEST"] = {
    "NAME": env("TEST_DATABASE_NAME", default=f"test_economy_{os.getpid()}")
}
# Transactional tests empty the database with TRUNCATE, which the books refuse otherwise
# (ledger/migrations/sql/0010_tighter_invariants.postgresql.sql).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"]["options"] += " -c economy.allow_truncate=on"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Likewise one key prefix per run: the suite clears only its own keys.
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default=f"economy-test-{os.getpid()}")
CELERY_TASK_ALWAYS_EAGER = True
# Off for the suite, whose clients fire requests far faster than a player; the rate limit
# tests (tests/ratelimit) turn it on with the `settings` fixture.
RATELIMIT_ENABLE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
