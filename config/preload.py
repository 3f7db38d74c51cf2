"""What config/wsgi.py and config/asgi.py run once the application is built."""


def import_what_requests_would() -> None:
    """Import now what Django imports lazily on the first requests: the URLconf with every
    view and serializer, and each cache backend (django-redis imports its client and redis-py
    when the backend is built). About a second of CPU per process that the first requests of
    every gunicorn worker would otherwise wait through; with gunicorn's preload_app it is spent
    once, in the master, before the workers fork. Nothing connects here: connections are
    opened by each worker, on first use."""
    from django.conf import settings
    from django.core.cache import caches
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the import is the point)
    for alias in settings.CACHES:
        caches[alias]


def refuse_to_serve_without_static_files() -> None:
    """A server started before collectstatic ran would answer 500 on every admin page: it stops
    at once instead, saying what to run."""
    from django.core.exceptions import ImproperlyConfigured

    from economy.common.checks import COLLECT_HINT, missing_static_manifest

    manifest = missing_static_manifest()
    if manifest is not None:
        raise ImproperlyConfigured(f"No static files manifest at {manifest}. {COLLECT_HINT}")
