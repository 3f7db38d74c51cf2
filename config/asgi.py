"""The ASGI entry point. Production serves WSGI (gunicorn's sync workers): on this service an
ASGI server measured several times slower (README, Performance). Under ASGI set DB_POOL_SIZE:
Django runs each request's code in a new thread, so persistent connections are never reused."""

import os

from django.core.asgi import get_asgi_application

from config.preload import import_what_requests_would

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_asgi_application()
import_what_requests_would()
