"""The Celery app: broker and result backend from REDIS_URL, tasks found in every app.

Configuration is the CELERY_* settings (config/settings/base.py): JSON only, late acks and
re-queue on a lost worker (every task here is idempotent), the django-celery-beat database
scheduler. With no REDIS_URL, tasks run eagerly in the calling process: no broker needed.

    celery -A config worker -l info
    celery -A config beat -l info
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("economy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
