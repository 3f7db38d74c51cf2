"""Create celery beat's periodic tasks (idempotent). Run by scripts/release.sh."""

from typing import Any

from django.core.management.base import BaseCommand

from economy.common.schedules import ensure_schedules


class Command(BaseCommand):
    help = (
        "Create the periodic tasks celery beat runs (daily inventory-cache reset, hourly "
        "idempotency-key purge, hourly popular-products warm-up) in django-celery-beat's "
        "tables. Safe to run again: nothing is created twice, and a task tuned or disabled "
        "in the admin keeps its settings."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for name, created in ensure_schedules():
            self.stdout.write(f"{'created' if created else 'exists '}  {name}")
