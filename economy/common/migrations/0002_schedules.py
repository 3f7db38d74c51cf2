"""The periodic tasks of celery beat, so they exist right after `migrate`."""

from django.db import migrations


def create_schedules(apps, schema_editor):
    from economy.common.schedules import ensure_schedules

    ensure_schedules(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        # Reversing keeps the tasks: they may have been tuned in the admin since.
        migrations.RunPython(create_schedules, migrations.RunPython.noop),
    ]
