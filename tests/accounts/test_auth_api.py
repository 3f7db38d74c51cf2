from datetime import timedelta

import pytest
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken

from economy.ledger.services import add_funds
from tests.factories import CurrencyFactory, StaffFactory, TokenFactory, UserFactory
from tests.support.ledger import balance_of

pytestmark = pytest.mark.django_db


def test_token_is_issued_for_valid_credentials(api_client):
    user = UserFactory(username="alice")
    before = timezone.now()
    response = api_client.post(
        "/api/v1/auth/token",
        {"username": "alice", "password": "correct horse battery staple"},
        format="json",
    )
    assert response.status_code == 200
    key = response.json()["token"]
    # A hashed token: the database holds its digest, and an expiry.
    [token] = AuthToken.objects.filter(user=user)
    assert token.digest == hash_token(key) and key not in token.digest
    assert before + timedelta(hours=168) <= token.expiry <= timezone.now() + timedelta(hours=168)
    assert response.json()["expiry"] == token.expiry.isoformat().replace("+00:00", "Z")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/users/me").json()["id"] == user.pk


def test_token_is_refused_for_a_wrong_password(api_client):
    UserFactory(username="alice")
    response = api_client.post(
        "/api/v1/auth/token", {"username": "alice", "password": "nope"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_me_without_a_token_is_401(api_client):
    response = api_client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_me_with_a_bad_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api_client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_me_shows_the_profile_with_balance(player, player_client):
    body = player_client.get("/api/v1/users/me").json()
    assert body == {
        "id": player.pk,
        "username": player.username,
        "email": player.email,
        "balance": 1000,
        "balances": {"coins": {"balance": 1000, "held": 0, "available": 1000}},
        "created_at": body["created_at"],
    }


def test_the_profile_shows_every_active_currency_and_balance_is_the_default_ones(
    player, player_client
):
    gems = CurrencyFactory(code="gems", initial_grant=10)
    CurrencyFactory(code="retired", is_active=False)
    # A wallet not opened yet shows what opening it will grant.
    body = player_client.get("/api/v1/users/me").json()
    assert body["balances"] == {
        "coins": {"balance": 1000, "held": 0, "available": 1000},
        "gems": {"balance": 10, "held": 0, "available": 10},
    }
    add_funds(user_id=player.pk, amount=5, currency=gems)
    body = player_client.get("/api/v1/users/me").json()
    assert body["balance"] == 1000
    assert body["balances"]["gems"] == {"balance": 15, "held": 0, "available": 15}


def test_a_player_reads_its_own_profile_by_id(player, player_client):
    assert player_client.get(f"/api/v1/users/{player.pk}").json()["id"] == player.pk


def test_another_players_profile_is_403(player_client):
    other = UserFactory()
    response = player_client.get(f"/api/v1/users/{other.pk}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "balance" not in response.content.decode()


def test_staff_reads_any_profile(staff_client, player):
    response = staff_client.get(f"/api/v1/users/{player.pk}")
    assert response.status_code == 200
    assert response.json()["balance"] == 1000


def test_staff_reading_an_unknown_user_is_404(staff_client):
    response = staff_client.get("/api/v1/users/999999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_each_login_is_a_new_token_and_a_legacy_key_keeps_working(api_client):
    user = UserFactory(username="bob")
    legacy = TokenFactory(user=user).key
    body = {"username": "bob", "password": "correct horse battery staple"}
    first = api_client.post("/api/v1/auth/token", body, format="json").json()["token"]
    second = api_client.post("/api/v1/auth/token", body, format="json").json()["token"]
    assert len({first, second, legacy}) == 3
    for key in (first, second, legacy):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert api_client.get("/api/v1/users/me").json()["id"] == user.pk


def test_staff_status_alone_does_not_open_players_data_or_credits(make_client, player):
    """A content manager is staff (for the admin) but holds no user permissions."""
    content_manager = make_client(StaffFactory())
    assert content_manager.get(f"/api/v1/users/{player.pk}").status_code == 403
    assert content_manager.get(f"/api/v1/users/{player.pk}/inventory").status_code == 403
    assert content_manager.get(f"/api/v1/users/{player.pk}/transactions").status_code == 403
    for route in ("add-funds", "spend"):
        response = content_manager.post(
            f"/api/v1/users/{player.pk}/{route}",
            {"amount": 5},
            format="json",
            HTTP_IDEMPOTENCY_KEY="k",
        )
        assert response.status_code == 403
    assert balance_of(player) == 1000
