import io
import json

import pytest
from django.core.management.base import CommandError

from economy.accounts.models import User
from tests.support.admin import CONTENT_MANAGERS, SUPPORT, ensure_groups
from tests.support.commands import run, run_process

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _groups(db):
    ensure_groups()


def test_a_support_agent_gets_the_support_group_and_a_password_shown_once(client):
    out = run("create_staff", "sam", "--role", "support", "--email", "sam@example.com")

    sam = User.objects.get(username="sam")
    first, second = out.splitlines()
    assert first == f"Staff account 'sam' created (id {sam.pk}) as support; log in at /admin/."
    password = second.removeprefix("Password (shown once): ")
    assert sam.is_staff and not sam.is_superuser
    assert list(sam.groups.values_list("name", flat=True)) == [SUPPORT]
    assert sam.email == "sam@example.com"
    assert sam.has_perm("ledger.refund_purchase")
    assert client.login(username="sam", password=password)
    assert client.get("/admin/").status_code == 200


def test_a_content_manager_may_change_products_and_nothing_about_players():
    run("create_staff", "carol", "--role", "content-manager")
    carol = User.objects.get(username="carol")
    assert list(carol.groups.values_list("name", flat=True)) == [CONTENT_MANAGERS]
    assert carol.has_perm("catalog.change_product")
    assert not carol.has_perm("accounts.view_user")


def test_a_password_from_stdin_is_used_and_not_printed(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase for carol\n"))
    out = run("create_staff", "carol", "--role", "content-manager", "--password-stdin", "--json")
    assert json.loads(out)["password"] is None
    assert User.objects.get(username="carol").check_password("a long passphrase for carol")


def test_a_weak_password_is_refused_and_nothing_is_created(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("1234\n"))
    with pytest.raises(CommandError, match="too short"):
        run("create_staff", "carol", "--role", "support", "--password-stdin")
    assert not User.objects.filter(username="carol").exists()


def test_an_existing_username_is_refused():
    run("create_staff", "sam", "--role", "support")
    with pytest.raises(CommandError, match="A user named 'sam' already exists"):
        run("create_staff", "sam", "--role", "content-manager")
    assert User.objects.get(username="sam").groups.get().name == SUPPORT


@pytest.mark.django_db(transaction=True)
def test_exit_status_and_usage():
    ensure_groups()
    assert run_process("create_staff", "sam", "--role", "support").returncode == 0
    again = run_process("create_staff", "sam", "--role", "support")
    assert (again.returncode, again.stderr.strip()) == (
        1,
        "CommandError: A user named 'sam' already exists.",
    )
    assert run_process("create_staff", "ann", "--role", "janitor").returncode == 2
