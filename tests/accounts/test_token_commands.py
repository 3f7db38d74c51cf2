"""Moving off legacy keys with the support commands: issue_token, revoke_legacy_tokens."""

import json

import pytest
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import TokenFactory, UserFactory
from tests.support.commands import run, run_process

pytestmark = pytest.mark.django_db(transaction=True)


def me(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/users/me")


def test_a_service_account_is_rotated_without_downtime(backend):
    legacy = TokenFactory(user=backend).key
    assert me(legacy).status_code == 200
    data = json.loads(run("issue_token", backend.username, "--json"))
    assert data["expiry"] is None  # a service account's: until revoked
    assert AuthToken.objects.get(user=backend).digest == hash_token(data["token"])
    # Both work while the backend's secret is swapped...
    assert me(legacy).status_code == 200 and me(data["token"]).status_code == 200
    out = run("revoke_legacy_tokens", "--user", backend.username)
    assert out.strip() == "Revoked 1 legacy key."
    # ...then the old key is refused at once, the cache warm or not.
    assert me(legacy).status_code == 401
    assert me(data["token"]).status_code == 200


def test_a_players_issued_token_expires(player):
    data = json.loads(run("issue_token", str(player.pk), "--json"))
    assert data["expiry"] is not None
    out = run("issue_token", player.email)
    assert out.splitlines()[0].startswith(f"Token for {player.username!r} (id {player.pk}), ")


def test_revoking_every_legacy_key():
    keys = [TokenFactory(user=UserFactory()).key for _ in range(3)]
    for key in keys:
        assert me(key).status_code == 200
    assert json.loads(run("revoke_legacy_tokens", "--json")) == {"revoked": 3}
    assert not Token.objects.exists()
    assert all(me(key).status_code == 401 for key in keys)


def test_an_unknown_user_is_exit_status_1():
    result = run_process("issue_token", "nobody")
    assert result.returncode == 1
    assert "No user matches 'nobody'" in result.stderr
    assert run_process("revoke_legacy_tokens", "--user", "nobody").returncode == 1
