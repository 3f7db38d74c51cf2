import json

import pytest
from django.core.management.base import CommandError
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from economy.accounts.models import User
from economy.ledger.models import Kind, Transaction
from tests.factories import UserFactory
from tests.support.commands import run, run_process
from tests.support.ledger import balance_of

pytestmark = pytest.mark.django_db


def test_creates_a_trusted_backend_that_can_add_funds_with_its_token():
    out = run("create_service_account", "payments")

    account = User.objects.get(username="payments")
    lines = out.splitlines()
    token = lines[1].removeprefix("Token (shown once): ")
    assert lines == [
        f"Service account 'payments' created (id {account.pk}).",
        f"Token (shown once): {token}",
    ]
    # Stored as a digest, never expiring, and no legacy key beside it.
    stored = AuthToken.objects.get(user=account)
    assert stored.digest == hash_token(token) and stored.expiry is None
    assert not Token.objects.exists()
    assert not account.has_usable_password()
    assert not account.is_staff
    assert account.has_perm("accounts.add_funds")

    player = UserFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post(
        f"/api/v1/users/{player.pk}/add-funds",
        {"amount": 10},
        format="json",
        HTTP_IDEMPOTENCY_KEY="first-topup",
    )
    assert response.status_code == 201, response.content
    assert balance_of(player) == 10
    deposit = Transaction.objects.get(user=player)
    assert (deposit.kind, deposit.created_by) == (Kind.DEPOSIT, account)


def test_the_service_account_may_also_spend_for_a_player():
    token = json.loads(run("create_service_account", "game-server", "--json"))["token"]
    player = UserFactory(funds=100)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = client.post(
        f"/api/v1/users/{player.pk}/spend",
        {"amount": 30, "sink": "sink:entry-fees", "reason": "Arena entry"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="arena-1",
    )

    assert response.status_code == 201, response.content
    assert balance_of(player) == 70


def test_json_output():
    data = json.loads(run("create_service_account", "game-server", "--json"))
    account = User.objects.get(username="game-server")
    assert data == {"id": account.pk, "username": "game-server", "token": data["token"]}
    assert AuthToken.objects.get(user=account).digest == hash_token(data["token"])


def test_the_token_expires_when_the_setting_says_so(settings):
    settings.ECONOMY_SERVICE_TOKEN_TTL_DAYS = 90
    run("create_service_account", "game-server")
    stored = AuthToken.objects.get(user__username="game-server")
    assert 89 < (stored.expiry - stored.created).total_seconds() / 86400 <= 90


def test_an_existing_name_is_refused_and_no_new_token_is_shown():
    UserFactory(username="payments")
    with pytest.raises(CommandError, match="A user named 'payments' already exists"):
        run("create_service_account", "payments")
    assert not Token.objects.exists() and not AuthToken.objects.exists()


def test_an_invalid_name_is_refused():
    with pytest.raises(CommandError, match="Invalid name 'no spaces please'"):
        run("create_service_account", "no spaces please")
    assert not User.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_exit_status():
    assert run_process("create_service_account", "payments").returncode == 0
    again = run_process("create_service_account", "payments")
    assert again.returncode == 1
    assert again.stderr.strip() == "CommandError: A user named 'payments' already exists."
