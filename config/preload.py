"""What config/wsgi.py and config/asgi.py run once the application is built."""


def import_what_requests_would() -> None:
    """Import now what Django imports lazily on the first requests: the URLconf with every
    view and serializer, and each cache backend (django-redis imports its client and redis-py
    when the backend is built). About a second of CPU per process that the first requests of
    every gunicorn worker would otherwise wait through; with gunicorn's preload_app it is spent
    once, in the master, before the workers fork (docs/performance.md). Nothing connects here:
    connections are opened by each worker, on first use."""
    from django.conf import settings
    from django.core.cache import caches
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the import is the point)
    for alias in settings.CACHES:
        caches[alias]
