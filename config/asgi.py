"""The ASGI entry point. Production serves WSGI (gunicorn's sync workers): under uvicorn's
worker this service measured far slower on every endpoint (docs/performance.md). Under ASGI
set DB_POOL_SIZE: Django runs each request's sync code in a thread of its own, so a persistent
connection would never be reused."""

import os

from django.core.asgi import get_asgi_application

from config.preload import import_what_requests_would, refuse_to_serve_without_static_files

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_asgi_application()
refuse_to_serve_without_static_files()
import_what_requests_would()
