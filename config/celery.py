"""The Celery app: broker and result backend from REDIS_URL, tasks found in every app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("economy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
