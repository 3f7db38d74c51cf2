"""POST /auth/players: a trusted backend that signed a player in (Steam, Apple, a device id)
hands the client a session: the player of that external id, created on first sight."""

import pytest
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from economy.accounts.models import ExternalIdentity, User
from tests.support.api import assert_error
from tests.support.concurrency import run_concurrently

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/players"


def sign_in(client, provider="steam", external_id="76561198000000001"):
    return client.post(URL, {"provider": provider, "external_id": external_id}, format="json")


def as_token(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_first_sight_creates_the_player_and_returns_its_token(backend_client):
    response = sign_in(backend_client)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True
    identity = ExternalIdentity.objects.get(provider="steam", subject="76561198000000001")
    assert body["user_id"] == identity.user_id and body["username"] == identity.user.username
    assert not identity.user.has_usable_password()
    # The token is the player's, hashed at rest, expiring.
    stored = AuthToken.objects.get(user_id=body["user_id"])
    assert stored.digest == hash_token(body["token"]) and stored.expiry is not None
    assert as_token(body["token"]).get("/api/v1/users/me").json()["id"] == body["user_id"]


def test_the_next_sign_in_is_the_same_player_with_a_new_token(backend_client):
    first = sign_in(backend_client).json()
    again = sign_in(backend_client)
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["user_id"] == first["user_id"]
    assert again.json()["token"] != first["token"]
    for key in (first["token"], again.json()["token"]):
        assert as_token(key).get("/api/v1/users/me").status_code == 200
    assert User.objects.filter(external_identities__isnull=False).count() == 1


def test_the_same_id_at_two_providers_is_two_players(backend_client):
    steam = sign_in(backend_client, "steam", "42").json()
    device = sign_in(backend_client, "device", "42").json()
    assert steam["user_id"] != device["user_id"]
    assert steam["username"] != device["username"]


def test_a_studio_jwt_and_a_backend_sign_in_meet_at_the_same_player(
    backend_client, studio_secret, settings
):
    from tests.support.studio import bearer_client, studio_token

    by_backend = sign_in(backend_client, settings.ECONOMY_JWT_PROVIDER, "hero-7").json()
    by_jwt = bearer_client(studio_token(studio_secret, sub="hero-7")).get("/api/v1/users/me")
    assert by_jwt.json()["id"] == by_backend["user_id"]


def test_a_player_may_not_sign_others_in(player_client):
    assert_error(sign_in(player_client), 403, "permission_denied")
    assert not ExternalIdentity.objects.exists()


def test_a_content_manager_may_not_sign_players_in(make_client):
    from tests.factories import StaffFactory

    assert_error(sign_in(make_client(StaffFactory())), 403, "permission_denied")


def test_without_a_token_it_is_401(api_client):
    assert_error(sign_in(api_client), 401, "not_authenticated")
    assert not ExternalIdentity.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"provider": "steam"},
        {"external_id": "1"},
        {"provider": "Steam!", "external_id": "1"},
        {"provider": "", "external_id": "1"},
        {"provider": "x" * 51, "external_id": "1"},
        {"provider": "steam", "external_id": ""},
        {"provider": "steam", "external_id": "x" * 256},
        {"provider": "steam", "external_id": "nul\x00"},
        {"provider": "steam", "external_id": 12},
        {"provider": "steam", "external_id": None},
    ],
)
def test_a_bad_body_is_400(backend_client, body):
    response = backend_client.post(URL, body, format="json")
    assert_error(response, 400, "validation_error")
    assert not ExternalIdentity.objects.exists()


def test_an_external_id_is_taken_as_given(backend_client):
    spaced = sign_in(backend_client, "device", " id ").json()
    plain = sign_in(backend_client, "device", "id").json()
    assert spaced["user_id"] != plain["user_id"]
    assert ExternalIdentity.objects.filter(subject=" id ").exists()


def test_a_deactivated_player_gets_no_session(backend_client):
    user_id = sign_in(backend_client).json()["user_id"]
    User.objects.filter(pk=user_id).update(is_active=False)
    assert_error(sign_in(backend_client), 403, "permission_denied")
    assert AuthToken.objects.filter(user_id=user_id).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_sign_ins_create_one_player(backend):
    from tests.support.api import client_for

    clients = [client_for(backend) for _ in range(6)]

    def first_sign_in(client):
        response = sign_in(client, "apple", "001234.abcd")
        return response.status_code, response.json()["user_id"]

    results = run_concurrently(first_sign_in, [(client,) for client in clients])
    assert sorted(status for status, _ in results) == [200] * 5 + [201], results
    assert len({user_id for _, user_id in results}) == 1
    assert ExternalIdentity.objects.filter(provider="apple").count() == 1
    assert User.objects.filter(external_identities__isnull=False).count() == 1
