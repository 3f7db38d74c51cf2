"""Production settings: refuse to start without the secrets a real deployment must set.

Behind a TLS-terminating proxy that sets X-Forwarded-Proto; `manage.py check --deploy` is clean
with the variables of `.env.example` filled in.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, LOGGING, REDIS_URL, env

try:
    SECRET_KEY = env("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
except ImproperlyConfigured as exc:
    raise ImproperlyConfigured(f"Production settings: {exc}") from exc
if not SECRET_KEY.strip():
    raise ImproperlyConfigured("Production settings: SECRET_KEY is empty.")
if SECRET_KEY.startswith(("change-me", "dev-only-")):
    raise ImproperlyConfigured(
        "Production settings: SECRET_KEY is still the placeholder; set a long random one "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Production settings: ALLOWED_HOSTS is empty.")
# Without these the service would quietly fall back to SQLite, a per-process cache and eager
# Celery: fine on a laptop, data loss and stale caches in a deployment.
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "Production settings: DATABASE_URL must point at PostgreSQL (postgres://...)."
    )
if not REDIS_URL:
    raise ImproperlyConfigured("Production settings: REDIS_URL is not set.")

DEBUG = False

# --- HTTPS behind a proxy -------------------------------------------------------------------
# The proxy terminates TLS and tells us so; only trust this when the app port is reachable
# through the proxy alone (as in docker-compose.yml, where web publishes no other route).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Container health checks speak plain http to the container itself.
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Origins (scheme included) allowed to POST forms to the admin, e.g. https://economy.example.com
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Logging --------------------------------------------------------------------------------
# One JSON object per line, each with the request id, for the log collector.
LOG_JSON = env.bool("LOG_JSON", default=True)
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_JSON else "plain"
# Celery workers and beat log through the handlers above (JSON) instead of their own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
