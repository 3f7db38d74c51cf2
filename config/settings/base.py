"""Settings shared by every environment, read from the environment through django-environ.

With nothing set the service runs on its embedded default: SQLite (IMMEDIATE transactions so
concurrent writers wait instead of failing), a local-memory cache and eager Celery.
DATABASE_URL and REDIS_URL switch it to PostgreSQL (psycopg 3) and Redis (django-redis).
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# Configuration comes from the process environment only (docker compose passes its .env
# file in as environment); a stray .env in the checkout never changes `make run`.
env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "economy.backoffice.sites.EconomyAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "economy.common",
    "economy.events",
    "economy.accounts",
    "economy.catalog",
    "economy.ledger",
    "economy.inventory",
    "economy.transfers",
    "economy.webhooks",
    "economy.backoffice",
]

MIDDLEWARE = [
    "economy.common.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# PostgreSQL when DATABASE_URL is set; SQLite otherwise.
CONN_MAX_AGE = env.int("CONN_MAX_AGE", default=60)
# A request never waits on a row lock longer than this (ms); then it gets a clean error
# instead of piling up connections behind a hot row.
DB_LOCK_TIMEOUT_MS = env.int("DB_LOCK_TIMEOUT_MS", default=5000)

if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = CONN_MAX_AGE
    # A kept connection is tested (one round trip) before a request uses it: one that the
    # server or the network dropped meanwhile is replaced instead of failing the request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # 0: each worker process (or thread) keeps its own persistent connection, CONN_MAX_AGE.
    # N > 0: psycopg's pool of at most N connections per process instead, health-checked the
    # same way. What an ASGI server needs (it runs each request in a new thread, so a
    # persistent connection would never be reused), and a cap on connections per process under
    # threaded workers. Sync workers gain nothing measurable from it (docs/performance.md).
    DB_POOL_SIZE = env.int("DB_POOL_SIZE", default=0)
    if DB_POOL_SIZE:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses persistence with a pool
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DB_POOL_SIZE,
        }
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c lock_timeout={DB_LOCK_TIMEOUT_MS}"
    )
    # Parameters bound by PostgreSQL instead of quoted into the SQL in Python: less CPU in
    # the web workers per query (docs/performance.md). psycopg then prepares a statement run
    # five times on a connection: turn it off behind a PgBouncer in transaction mode < 1.21.
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = env.bool(
        "DB_SERVER_SIDE_BINDING", default=True
    )
    # Read replicas (PostgreSQL streaming replicas of the primary), comma separated: read-only
    # work that tolerates a little lag goes to one (economy/common/replicas.py).
    for number, url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[])):
        replica = env.db_url_config(url)
        replica["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
        replica["CONN_HEALTH_CHECKS"] = True
        replica["OPTIONS"] = {
            **DATABASES["default"]["OPTIONS"],
            # A replica that does not answer is skipped quickly, not waited on.
            "connect_timeout": env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=2),
        }
        replica["TEST"] = {"MIRROR": "default"}
        DATABASES[f"replica_{number}"] = replica
else:
    # The covering index for analytics is a PostgreSQL feature; SQLite keeps its key columns.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DATABASE_ROUTERS = ["economy.common.replicas.ReplicaRouter"]
# After a player's write, that player's reads stay on the primary this long (seconds).
ECONOMY_READ_YOUR_WRITES_SECONDS = env.int("ECONOMY_READ_YOUR_WRITES_SECONDS", default=5)
# A replica further behind than this (seconds) is skipped; each process checks a replica at
# most every ECONOMY_REPLICA_CHECK_SECONDS.
ECONOMY_REPLICA_MAX_LAG_SECONDS = env.float("ECONOMY_REPLICA_MAX_LAG_SECONDS", default=10.0)
ECONOMY_REPLICA_CHECK_SECONDS = env.float("ECONOMY_REPLICA_CHECK_SECONDS", default=5.0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="economy"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # Errors reach economy.common.cache, whose helpers fall back to the database
                # and remember a lost write (see its docstring); nothing else in the request
                # path calls the cache directly (the rate limiter fails open on its own).
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
                "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=0.5),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "economy",
        }
    }
# Each process's own memory, for figures every caller shares and that may be a little old by
# contract (popular products): read without a round trip to Redis.
CACHES["process"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "economy-process",
}

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = ["economy.accounts.backends.CachedPermissionsBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- REST framework ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate is the one a 401 names. Each answers only its keyword.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "economy.accounts.authentication.TokenAuthentication",
        "economy.accounts.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["economy.common.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "economy.common.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "economy.common.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Virtual economy API",
    "DESCRIPTION": (
        "Balances of virtual currency, a catalog of consumable and permanent items, purchases, "
        "inventory and a ledger. Every error has the shape "
        '`{"error": {"code", "message", "details"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the sidecar package's static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Two fields named `type` with different choices: the products' keeps its name.
    "ENUM_NAME_OVERRIDES": {
        "TypeEnum": "economy.catalog.models.ProductType",
        "EventTypeEnum": "economy.events.models.EventType",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "economy.common.schema.state_exclusive_fields",
    ],
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
# Every task of the service is idempotent, so a task is acknowledged only once it has run and
# handed back to the queue when its worker dies mid-way: it runs again rather than never.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# With late acks a worker reserves one message at a time, so a crash strands at most one.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers an unacknowledged message after this long; longer than any task runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_RESULT_EXPIRES = timedelta(days=1)
# The worker logs through Django's LOGGING (JSON lines in production), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- The economy ----------------------------------------------------------------------------
ECONOMY_MAX_DEPOSIT = env.int("ECONOMY_MAX_DEPOSIT", default=100_000)
ECONOMY_MAX_PURCHASE_QUANTITY = env.int("ECONOMY_MAX_PURCHASE_QUANTITY", default=1_000)
ECONOMY_INVENTORY_CACHE_TTL = env.int("ECONOMY_INVENTORY_CACHE_TTL", default=300)
# Seconds a product read by purchases and uses stays cached (until a product change commits
# anyway); 0 turns it off.
ECONOMY_PRODUCT_CACHE_TTL = env.int("ECONOMY_PRODUCT_CACHE_TTL", default=300)
# Seconds a token's user stays cached (economy/accounts/authentication.py); 0 turns it off.
ECONOMY_AUTH_CACHE_TTL = env.int("ECONOMY_AUTH_CACHE_TTL", default=60)
ECONOMY_POPULAR_CACHE_TTL = env.int("ECONOMY_POPULAR_CACHE_TTL", default=3600)
# How long a process answers popular products from its own copy before asking Redis again.
ECONOMY_POPULAR_PROCESS_TTL = env.int("ECONOMY_POPULAR_PROCESS_TTL", default=30)
ECONOMY_IDEMPOTENCY_TTL = timedelta(hours=env.float("ECONOMY_IDEMPOTENCY_TTL_HOURS", default=24))
# Holds: how long one lasts when the request names no expiry, and the longest one may last.
ECONOMY_HOLD_DEFAULT_SECONDS = env.int("ECONOMY_HOLD_DEFAULT_SECONDS", default=3600)
ECONOMY_HOLD_MAX_SECONDS = env.int("ECONOMY_HOLD_MAX_SECONDS", default=30 * 24 * 3600)
# What a player may send to other players per UTC day in a giftable currency, unless the
# currency sets its own limit in the admin.
ECONOMY_DAILY_TRANSFER_LIMIT = env.int("ECONOMY_DAILY_TRANSFER_LIMIT", default=10_000)

# --- Identity (economy/accounts, docs/identity.md) ------------------------------------------
# API tokens (`Authorization: Token <key>`) are stored as digests (django-rest-knox) and expire:
# a player's after ECONOMY_TOKEN_TTL_HOURS, a service account's after
# ECONOMY_SERVICE_TOKEN_TTL_DAYS (0: never; support revokes it in the admin).
ECONOMY_TOKEN_TTL_HOURS = env.float("ECONOMY_TOKEN_TTL_HOURS", default=24 * 7)
ECONOMY_SERVICE_TOKEN_TTL_DAYS = env.float("ECONOMY_SERVICE_TOKEN_TTL_DAYS", default=0)
REST_KNOX = {"TOKEN_TTL": timedelta(hours=ECONOMY_TOKEN_TTL_HOURS), "AUTH_HEADER_PREFIX": "Token"}
# Signed tokens from the studio's identity provider (`Authorization: Bearer <JWT>`), verified
# against its JWKS URL or a shared secret (one of the two; neither set: JWT sign-in is off).
ECONOMY_JWT_JWKS_URL = env("ECONOMY_JWT_JWKS_URL", default="")
ECONOMY_JWT_SECRET = env("ECONOMY_JWT_SECRET", default="")
ECONOMY_JWT_ALGORITHMS = env.list(
    "ECONOMY_JWT_ALGORITHMS", default=["HS256"] if ECONOMY_JWT_SECRET else ["RS256"]
)
# Required when JWT sign-in is on: a token for another service of the same provider is refused.
ECONOMY_JWT_ISSUER = env("ECONOMY_JWT_ISSUER", default="")
ECONOMY_JWT_AUDIENCE = env("ECONOMY_JWT_AUDIENCE", default="")
# Clock skew tolerated on exp, nbf and iat.
ECONOMY_JWT_LEEWAY_SECONDS = env.int("ECONOMY_JWT_LEEWAY_SECONDS", default=30)
# The provider name a token's subject is a player under (its ExternalIdentity).
ECONOMY_JWT_PROVIDER = env("ECONOMY_JWT_PROVIDER", default="studio")
# The key set is kept this long per process; a token naming an unknown key id fetches it again
# at most once per cooldown (a rotation is seen at once, forged key ids cannot hammer the URL).
ECONOMY_JWT_JWKS_CACHE_SECONDS = env.float("ECONOMY_JWT_JWKS_CACHE_SECONDS", default=300)
ECONOMY_JWT_JWKS_COOLDOWN_SECONDS = env.float("ECONOMY_JWT_JWKS_COOLDOWN_SECONDS", default=30)
ECONOMY_JWT_JWKS_TIMEOUT_SECONDS = env.float("ECONOMY_JWT_JWKS_TIMEOUT_SECONDS", default=5)
if ECONOMY_JWT_JWKS_URL or ECONOMY_JWT_SECRET:
    from economy.accounts.identity import check_jwt_settings

    check_jwt_settings(
        jwks_url=ECONOMY_JWT_JWKS_URL,
        secret=ECONOMY_JWT_SECRET,
        algorithms=ECONOMY_JWT_ALGORITHMS,
        issuer=ECONOMY_JWT_ISSUER,
        audience=ECONOMY_JWT_AUDIENCE,
    )

# --- Webhooks (economy/webhooks, docs/webhooks.md) ------------------------------------------
# One POST's connect + read timeout; a worker's batch for one endpoint stops starting new POSTs
# after the lease less one timeout, and a batch whose worker died is sent again after its lease.
ECONOMY_WEBHOOK_TIMEOUT_SECONDS = env.float("ECONOMY_WEBHOOK_TIMEOUT_SECONDS", default=10)
ECONOMY_WEBHOOK_LEASE_SECONDS = env.float("ECONOMY_WEBHOOK_LEASE_SECONDS", default=120)
ECONOMY_WEBHOOK_BATCH = env.int("ECONOMY_WEBHOOK_BATCH", default=100)
# Retries: the first after about the base, each one twice as late (with jitter) up to the
# maximum gap, for as long as RETRY_FOR after the event; then the delivery is failed.
ECONOMY_WEBHOOK_RETRY_BASE_SECONDS = env.float("ECONOMY_WEBHOOK_RETRY_BASE_SECONDS", default=5)
ECONOMY_WEBHOOK_RETRY_MAX_SECONDS = env.float("ECONOMY_WEBHOOK_RETRY_MAX_SECONDS", default=6 * 3600)
ECONOMY_WEBHOOK_RETRY_FOR_SECONDS = env.float(
    "ECONOMY_WEBHOOK_RETRY_FOR_SECONDS", default=3 * 24 * 3600
)
# Events whose every delivery succeeded are deleted this long after they happened; events with
# a failed or pending delivery are kept.
ECONOMY_EVENT_RETENTION_DAYS = env.int("ECONOMY_EVENT_RETENTION_DAYS", default=30)

# --- Rate limits (DRF throttles, economy/common/throttling.py, counted in the default cache) --
# Per caller on the write paths, per client IP on token login: "60/m", "1000/h", "5/10s".
ECONOMY_RATE_LIMIT_WRITES = env("ECONOMY_RATE_LIMIT_WRITES", default="60/m")
ECONOMY_RATE_LIMIT_LOGIN = env("ECONOMY_RATE_LIMIT_LOGIN", default="10/m")
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
# Reverse proxies in front of the service that append to X-Forwarded-For (0: none, the
# client is REMOTE_ADDR). Set it behind a proxy, or every login shares the proxy's address.
ECONOMY_TRUSTED_PROXIES = env.int("ECONOMY_TRUSTED_PROXIES", default=0)

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_JSON = env.bool("LOG_JSON", default=False)
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "economy.common.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_JSON else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
    },
}
