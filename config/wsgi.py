import os

from django.core.wsgi import get_wsgi_application

from config.preload import import_what_requests_would

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_wsgi_application()
import_what_requests_would()
