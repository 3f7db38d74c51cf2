"""The schedules added since 0004 (webhook dispatch, event purge), so they exist right after
`migrate`."""

from django.db import migrations


def create_schedules(apps, schema_editor):
    from economy.common.schedules import ensure_schedules

    ensure_schedules(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0004_hold_expiry_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
