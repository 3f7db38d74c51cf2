"""The roles meet the currencies and wallets: content managers run the currencies beside the
products; support sees them and the wallets (read-only)."""

import importlib

from django.db import migrations

groups = importlib.import_module("economy.backoffice.migrations.0001_groups")

ADDED = {
    "Content managers": [
        ("catalog", "currency", "add_currency"),
        ("catalog", "currency", "change_currency"),
        ("catalog", "currency", "view_currency"),
    ],
    "Support": [
        ("catalog", "currency", "view_currency"),
        ("ledger", "wallet", "view_wallet"),
    ],
}


def add_permissions(apps, schema_editor):
    groups.create_groups(apps, schema_editor)
    grant(apps, ADDED)


def grant(apps, added):
    """Add to each group the permissions listed for it: {group name: [(app, model, codename)]}."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in added.items():
        group = Group.objects.get(name=name)
        for app_label, model, codename in wanted:
            group.permissions.add(
                Permission.objects.get(
                    content_type__app_label=app_label, content_type__model=model, codename=codename
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0001_groups"),
        ("catalog", "0004_price_currency_required"),
        ("ledger", "0006_double_entry_required"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
