"""The periodic tasks celery beat runs, stored in the database by django-celery-beat.

`ensure_schedules()` creates them idempotently. It runs in a data migration (so the schedule
exists after `migrate`) and from `manage.py setup_schedules` (scripts/release.sh). An existing
task keeps the timing and on/off state staff gave it in the admin; only its task path, which
the code owns, is brought up to date.
"""

from dataclasses import dataclass
from typing import Any

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.utils import timezone


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    # Seconds after which a run still queued (workers down) is dropped: the next one comes.
    expire_seconds: int
    description: str
    # A crontab (minute, hour), or every `every_seconds` for work finer than a minute.
    minute: str = "*"
    hour: str = "*"
    every_seconds: int | None = None


SCHEDULES = (
    Schedule(
        name="inventory: reset every inventory cache (daily)",
        task="economy.inventory.reset_inventory_cache",
        minute="0",
        hour="3",
        expire_seconds=12 * 3600,
        description="Makes every user's cached inventory stale at once (one cache write).",
    ),
    Schedule(
        name="idempotency: purge expired keys (hourly)",
        task="economy.common.purge_idempotency_keys",
        minute="15",
        hour="*",
        expire_seconds=3000,
        description="Deletes Idempotency-Key records older than ECONOMY_IDEMPOTENCY_TTL_HOURS.",
    ),
    Schedule(
        name="holds: expire due holds (every minute)",
        task="economy.ledger.expire_holds",
        minute="*",
        hour="*",
        expire_seconds=50,
        description="Voids or captures, as each says, every hold past its expiry.",
    ),
    Schedule(
        name="inventory: expire time-limited items (every minute)",
        task="economy.inventory.expire_items",
        minute="*",
        hour="*",
        expire_seconds=50,
        description="Marks time-limited items past their expiry, with an item.expired event "
        "each. Expired items are not owned, listed or usable whether or not it has run.",
    ),
    Schedule(
        name="analytics: warm popular products (hourly)",
        task="economy.ledger.warm_popular_products",
        minute="0",
        hour="*",
        expire_seconds=3000,
        description="Recomputes the default popular-products figures (7 days, top 5).",
    ),
    Schedule(
        name="webhooks: dispatch events (every 2 seconds)",
        task="economy.webhooks.dispatch_events",
        every_seconds=2,
        expire_seconds=10,
        description="Gives new events their feed position and queues their webhook deliveries.",
    ),
    Schedule(
        name="webhooks: purge delivered events (daily)",
        task="economy.webhooks.purge_events",
        minute="30",
        hour="4",
        expire_seconds=12 * 3600,
        description="Deletes events older than ECONOMY_EVENT_RETENTION_DAYS that every "
        "endpoint received; keeps those with a failed or pending delivery.",
    ),
    Schedule(
        name="tokens: purge expired API tokens (daily)",
        task="economy.accounts.purge_expired_tokens",
        minute="45",
        hour="4",
        expire_seconds=12 * 3600,
        description="Deletes API tokens past their expiry (they are refused anyway).",
    ),
)


def ensure_schedules(apps: Apps = global_apps) -> list[tuple[str, bool]]:
    """Create the missing periodic tasks; return [(name, created)]. Safe to run any number of
    times: nothing is created twice. `apps` is the app registry (a migration passes its own)."""
    # django-celery-beat's models, or a migration's historical copies of them: untyped.
    crontab_model: Any = apps.get_model("django_celery_beat", "CrontabSchedule")
    interval_model: Any = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model: Any = apps.get_model("django_celery_beat", "PeriodicTask")
    changes_model: Any = apps.get_model("django_celery_beat", "PeriodicTasks")
    outcome: list[tuple[str, bool]] = []
    changed = False
    for schedule in SCHEDULES:
        task = task_model.objects.filter(name=schedule.name).first()
        if task is not None:
            if task.task != schedule.task:
                task.task = schedule.task
                task.save(update_fields=["task"])
                changed = True
            outcome.append((schedule.name, False))
            continue
        if schedule.every_seconds:
            when = {
                "interval": interval_model.objects.get_or_create(
                    every=schedule.every_seconds, period="seconds"
                )[0]
            }
        else:
            when = {"crontab": _crontab(crontab_model, schedule)}
        task_model.objects.create(
            name=schedule.name,
            task=schedule.task,
            **when,
            expire_seconds=schedule.expire_seconds,
            description=schedule.description,
            enabled=True,
        )
        outcome.append((schedule.name, True))
        changed = True
    if changed:
        # Tell a running beat (DatabaseScheduler) to reload; a migration's historical models
        # do not send the signal that does it.
        changes_model.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})
    return outcome


def _crontab(crontab_model: Any, schedule: Schedule) -> Any:
    fields = {
        "minute": schedule.minute,
        "hour": schedule.hour,
        "day_of_week": "*",
        "day_of_month": "*",
        "month_of_year": "*",
        "timezone": "UTC",
    }
    return crontab_model.objects.filter(**fields).first() or crontab_model.objects.create(**fields)
