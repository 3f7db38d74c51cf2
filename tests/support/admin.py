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
    operation
    for name in (
        "economy.transfers.migrations.0003_support_views_transfers",
        "economy.webhooks.migrations.0002_support_sees_deliveries",
        "economy.catalog.migrations.0007_roles_run_bundles",
        "economy.accounts.migrations.0005_support_sees_and_revokes_tokens",
    )
    for operation in importlib.import_module(name).Migration.operations
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


def product_form(*, currencies=(), items=(), **fields):
    """The POST body of the admin's product form: an active permanent for 250 of the default
    currency unless `fields` say otherwise, and a bundle's contents as its two inlines,
    `currencies` as (currency id, amount) and `items` as (product id, quantity)."""
    from tests.factories import default_currency

    data = {
        "description": "",
        "type": "permanent",
        "price": 250,
        "price_currency": default_currency().pk,
        "is_active": "on",
        "limit_period": "lifetime",
        **fields,
    }
    for prefix, rows, names in (
        ("currency_grants", currencies, ("currency", "amount")),
        ("item_grants", items, ("product", "quantity")),
    ):
        data |= {f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": 0}
        for i, row in enumerate(rows):
            data |= {f"{prefix}-{i}-{name}": value for name, value in zip(names, row, strict=True)}
    return data
