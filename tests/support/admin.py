"""The back-office roles as tests set them up, and admin sessions."""

import importlib

from django.apps import apps
from django.contrib.auth.models import Group
from django.test import Client

from tests.factories import StaffFactory

groups_migration = importlib.import_module("economy.backoffice.migrations.0001_groups")
permissions_migration = importlib.import_module(
    "economy.backoffice.migrations.0003_holds_and_events"
)
role_migrations = [
    importlib.import_module(name).Migration.operations[0]
    for name in (
        "economy.transfers.migrations.0003_support_views_transfers",
        "economy.webhooks.migrations.0002_support_sees_deliveries",
        "economy.accounts.migrations.0005_support_sees_and_revokes_tokens",
    )
]

CONTENT_MANAGERS = "Content managers"
SUPPORT = "Support"


def ensure_groups():
    """The groups as the data migration creates them. A transactional test elsewhere in the
    suite flushes the database (and the migration's rows with it), so tests re-run the
    migration's own forward function rather than rely on its first run."""
    permissions_migration.add_permissions(apps, None)
    for operation in role_migrations:
        operation.code(apps, None)


def staff_in(group_name, **fields):
    ensure_groups()
    user = StaffFactory(**fields)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def login(user):
    client = Client()
    client.force_login(user)
    return client
