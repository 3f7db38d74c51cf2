"""The schedules added since 0005 (expiry of time-limited items, the daily purge of expired
API tokens), so they exist right after `migrate`."""

from django.db import migrations


def create_schedules(apps, schema_editor):
    from economy.common.schedules import ensure_schedules

    ensure_schedules(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0005_webhook_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
