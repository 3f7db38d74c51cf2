import os

from django.core.wsgi import get_wsgi_application

from config.preload import import_what_requests_would, refuse_to_serve_without_static_files

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_wsgi_application()
refuse_to_serve_without_static_files()
import_what_requests_would()
