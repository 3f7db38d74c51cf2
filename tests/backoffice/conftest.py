import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.test import Client

from tests.factories import StaffFactory, UserFactory

groups_migration = importlib.import_module("economy.backoffice.migrations.0001_groups")

CONTENT_MANAGERS = "Content managers"
SUPPORT = "Support"


def ensure_groups():
    """The groups as the data migration creates them. A transactional test elsewhere in the
    suite flushes the database (and the migration's rows with it), so tests re-run the
    migration's own forward function rather than rely on its first run."""
    groups_migration.create_groups(apps, None)


@pytest.fixture
def groups(db):
    ensure_groups()
    return {group.name: group for group in Group.objects.all()}


def staff_in(group_name, **fields):
    ensure_groups()
    user = StaffFactory(**fields)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def login(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def content_manager(db):
    return staff_in(CONTENT_MANAGERS, username="carol")


@pytest.fixture
def support(db):
    return staff_in(SUPPORT, username="sam")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def content_client(content_manager):
    return login(content_manager)


@pytest.fixture
def support_client(support):
    return login(support)


@pytest.fixture
def superuser_client(superuser):
    return login(superuser)
