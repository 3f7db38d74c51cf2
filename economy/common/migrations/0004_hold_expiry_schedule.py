"""The schedules added since 0002 (hold expiry), so they exist right after `migrate` on a
database that ran 0002 before them."""

from django.db import migrations


def create_schedules(apps, schema_editor):
    from economy.common.schedules import ensure_schedules

    ensure_schedules(apps)


class Migration(migrations.Migration):
    dependencies = [("common", "0003_idempotency_response_required")]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
