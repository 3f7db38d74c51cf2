"""Settings for the test suite: PostgreSQL and Redis, fast password hashing."""

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, env

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" and not env.bool(
    "ALLOW_SQLITE_TESTS", default=False
):
    raise RuntimeError("The test suite runs on PostgreSQL: set DATABASE_URL (make test does).")

# Tests open and close many connections from threads; do not keep them around.
DATABASES["default"]["CONN_MAX_AGE"] = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="economy-test")
CELERY_TASK_ALWAYS_EAGER = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
