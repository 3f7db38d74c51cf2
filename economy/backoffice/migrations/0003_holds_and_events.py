"""Support meets holds and events: it sees both, and may void a pending hold with a reason."""

import importlib

from django.db import migrations

roles = importlib.import_module("economy.backoffice.migrations.0002_currencies_and_wallets")

ADDED = {
    "Support": [
        ("ledger", "hold", "view_hold"),
        ("ledger", "hold", "void_hold"),
        ("events", "event", "view_event"),
    ],
}


def add_permissions(apps, schema_editor):
    roles.add_permissions(apps, schema_editor)
    roles.grant(apps, ADDED)


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0002_currencies_and_wallets"),
        ("events", "0001_initial"),
        ("ledger", "0007_holds"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
