"""celery beat's schedule lives in the database, created idempotently."""

import pytest
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from economy.common.schedules import SCHEDULES

pytestmark = pytest.mark.django_db

EXPECTED = {
    "economy.inventory.reset_inventory_cache": ("0", "3"),
    "economy.common.purge_idempotency_keys": ("15", "*"),
    "economy.ledger.warm_popular_products": ("0", "*"),
    "economy.ledger.expire_holds": ("*", "*"),
    "economy.inventory.expire_items": ("*", "*"),
    "economy.webhooks.dispatch_events": "every 2 seconds",
    "economy.webhooks.purge_events": ("30", "4"),
    "economy.accounts.purge_expired_tokens": ("45", "4"),
}


def schedule_state():
    return {
        task.task: (
            (task.crontab.minute, task.crontab.hour)
            if task.crontab
            else f"every {task.interval.every} {task.interval.period}"
        )
        for task in PeriodicTask.objects.select_related("crontab", "interval")
        if task.enabled
    }


def test_the_schedule_exists_after_migrate():
    # Replay the data migration on a database where the tasks are missing (a transactional
    # test earlier in the run may have flushed what the first migrate wrote).
    call_command("migrate", "common", "0001", verbosity=0)
    PeriodicTask.objects.filter(name__in=[s.name for s in SCHEDULES]).delete()
    call_command("migrate", "common", verbosity=0)
    assert schedule_state() == EXPECTED


def test_running_setup_twice_creates_nothing_twice(capsys):
    call_command("setup_schedules")
    tasks, crontabs = PeriodicTask.objects.count(), CrontabSchedule.objects.count()
    call_command("setup_schedules")
    assert (PeriodicTask.objects.count(), CrontabSchedule.objects.count()) == (tasks, crontabs)
    assert schedule_state() == EXPECTED
    assert capsys.readouterr().out.count("exists") >= len(SCHEDULES)


def test_setup_keeps_what_staff_changed_in_the_admin():
    call_command("setup_schedules", verbosity=0)
    task = PeriodicTask.objects.get(task="economy.common.purge_idempotency_keys")
    task.enabled = False
    task.save()
    call_command("setup_schedules", verbosity=0)
    assert PeriodicTask.objects.get(pk=task.pk).enabled is False


def test_setup_recreates_a_deleted_task():
    call_command("setup_schedules", verbosity=0)
    PeriodicTask.objects.filter(task="economy.ledger.warm_popular_products").delete()
    call_command("setup_schedules", verbosity=0)
    assert schedule_state() == EXPECTED
