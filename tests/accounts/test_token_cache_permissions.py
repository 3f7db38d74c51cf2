"""The cached token carries the user's permissions: has_perm costs no query, and any change of
who holds a permission (directly, through a group, either side of the relation) is seen by the
very next request."""

import uuid

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory
from tests.support.api import client_for

# Cache entries are dropped on commit: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def add_funds_perm():
    return Permission.objects.get(codename="add_funds")


@pytest.fixture
def payments():
    return Group.objects.create(name="Payments backends")


@pytest.fixture
def target():
    return UserFactory(funds=0)


def add_funds(client, target, route="add-funds"):
    return client.post(
        f"/api/v1/users/{target.pk}/{route}",
        {"amount": 10},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    ).status_code


def test_a_cached_token_answers_permission_checks_without_a_query(backend, target):
    client = client_for(backend)
    assert add_funds(client, target) == 201  # the token's entry is built here
    with CaptureQueriesContext(connection) as queries:
        assert add_funds(client, target) == 201
    assert not [q for q in queries if "auth_permission" in q["sql"]]


def test_a_permission_taken_from_the_user_is_seen_at_once(backend, target, add_funds_perm):
    client = client_for(backend)
    assert add_funds(client, target) == 201
    backend.user_permissions.remove(add_funds_perm)
    assert add_funds(client, target) == 403


def test_spending_for_players_rests_on_the_same_permission(backend, target, add_funds_perm):
    client = client_for(backend)
    assert add_funds(client, target) == 201
    assert add_funds(client, target, "spend") == 201
    backend.user_permissions.remove(add_funds_perm)
    assert add_funds(client, target, "spend") == 403


def test_a_permission_given_to_the_user_is_seen_at_once(target, add_funds_perm):
    service = UserFactory()
    client = client_for(service)
    assert add_funds(client, target) == 403
    add_funds_perm.user_set.add(service)  # the reverse side of the relation
    assert add_funds(client, target) == 201


def test_clearing_a_permissions_holders_is_seen_at_once(backend, target, add_funds_perm):
    client = client_for(backend)
    assert add_funds(client, target) == 201
    add_funds_perm.user_set.clear()
    assert add_funds(client, target) == 403


def test_joining_and_leaving_a_group_are_seen_at_once(target, payments, add_funds_perm):
    payments.permissions.add(add_funds_perm)
    service = UserFactory()
    client = client_for(service)
    assert add_funds(client, target) == 403
    service.groups.add(payments)
    assert add_funds(client, target) == 201
    payments.user_set.remove(service)
    assert add_funds(client, target) == 403


def test_a_permission_taken_from_a_group_is_seen_by_its_members(target, payments, add_funds_perm):
    payments.permissions.add(add_funds_perm)
    members = [UserFactory(), UserFactory()]
    payments.user_set.add(*members)
    clients = [client_for(member) for member in members]
    assert [add_funds(client, target) for client in clients] == [201, 201]
    add_funds_perm.group_set.remove(payments)  # the reverse side of the relation
    assert [add_funds(client, target) for client in clients] == [403, 403]


def test_clearing_a_groups_permissions_is_seen_by_its_members(target, payments, add_funds_perm):
    payments.permissions.add(add_funds_perm)
    service = UserFactory()
    service.groups.add(payments)
    client = client_for(service)
    assert add_funds(client, target) == 201
    payments.permissions.clear()
    assert add_funds(client, target) == 403


def test_a_deleted_group_takes_its_permissions_at_once(target, payments, add_funds_perm):
    payments.permissions.add(add_funds_perm)
    service = UserFactory()
    service.groups.add(payments)
    client = client_for(service)
    assert add_funds(client, target) == 201
    payments.delete()
    assert add_funds(client, target) == 403


def test_a_deleted_permission_is_gone_at_once(backend, target, add_funds_perm):
    client = client_for(backend)
    assert add_funds(client, target) == 201
    add_funds_perm.delete()
    assert add_funds(client, target) == 403


def test_an_unrelated_permission_change_keeps_other_users_cached(backend, player, target):
    client = client_for(backend)
    assert add_funds(client, target) == 201
    player.user_permissions.add(Permission.objects.get(codename="view_user"))
    with CaptureQueriesContext(connection) as queries:
        assert add_funds(client, target) == 201
    assert not [q for q in queries if "authtoken_token" in q["sql"]]
