"""API tokens at rest are digests with an expiry: logout, logout-all, a delete in the admin and
expiry are refused at once, with the token cache warm; a dump of every token table holds no
usable credential; legacy keys keep working until they are rotated."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from economy.accounts import services
from economy.accounts.models import User
from tests.factories import TokenFactory, UserFactory
from tests.support.admin import SUPPORT, login, staff_in
from tests.support.api import assert_error, client_for
from tests.support.commands import run

# Cache entries are dropped on commit: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"


def as_token(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def log_in(user):
    response = APIClient().post(
        "/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def cached(key):
    return cache.get("auth:knox:v1:" + hash_token(key)) is not None


def warm(client):
    """Two requests: the second is answered from the cache."""
    assert client.get("/api/v1/users/me").status_code == 200
    assert client.get("/api/v1/users/me").status_code == 200


def test_a_hashed_tokens_lookup_is_cached_under_its_digest(player):
    key = log_in(player)
    warm(as_token(key))
    assert cached(key)


def test_logout_revokes_this_token_at_once_and_no_other(player):
    phone, laptop = log_in(player), log_in(player)
    warm(as_token(phone))
    warm(as_token(laptop))
    response = as_token(phone).post("/api/v1/auth/logout")
    assert response.status_code == 204
    assert_error(as_token(phone).get("/api/v1/users/me"), 401, "not_authenticated")
    assert as_token(laptop).get("/api/v1/users/me").status_code == 200
    assert list(AuthToken.objects.filter(user=player)) == [
        AuthToken.objects.get(digest=hash_token(laptop))
    ]


def test_logout_with_a_legacy_key_deletes_the_key(player):
    legacy = TokenFactory(user=player).key
    warm(as_token(legacy))
    assert as_token(legacy).post("/api/v1/auth/logout").status_code == 204
    assert_error(as_token(legacy).get("/api/v1/users/me"), 401)
    assert not Token.objects.filter(user=player).exists()


def test_logout_all_revokes_every_token_and_the_legacy_key_at_once(player):
    keys = [log_in(player), log_in(player), TokenFactory(user=player).key]
    other = log_in(UserFactory(username="other"))
    for key in keys:
        warm(as_token(key))
    assert as_token(keys[0]).post("/api/v1/auth/logout-all").status_code == 204
    for key in keys:
        assert_error(as_token(key).get("/api/v1/users/me"), 401, "not_authenticated")
    assert not AuthToken.objects.filter(user=player).exists()
    assert not Token.objects.filter(user=player).exists()
    assert as_token(other).get("/api/v1/users/me").status_code == 200


def test_logout_all_with_a_studio_jwt_revokes_the_players_tokens(studio_secret):
    from tests.support.studio import bearer_client, studio_token

    jwt_client = bearer_client(studio_token(studio_secret, sub="kim"))
    user_id = jwt_client.get("/api/v1/users/me").json()["id"]
    _, key = services.issue_token(user=User.objects.get(pk=user_id), ttl=None)
    warm(as_token(key))
    # Logout revokes nothing of a JWT (the studio's to expire); logout-all the API tokens.
    assert jwt_client.post("/api/v1/auth/logout").status_code == 204
    assert as_token(key).get("/api/v1/users/me").status_code == 200
    assert jwt_client.post("/api/v1/auth/logout-all").status_code == 204
    assert_error(as_token(key).get("/api/v1/users/me"), 401)
    assert jwt_client.get("/api/v1/users/me").status_code == 200


def test_logout_without_a_token_is_401(api_client):
    assert_error(api_client.post("/api/v1/auth/logout"), 401, "not_authenticated")
    assert_error(api_client.post("/api/v1/auth/logout-all"), 401, "not_authenticated")


def test_an_expired_token_is_refused_at_once_with_the_cache_warm(player, monkeypatch):
    _, key = services.issue_token(user=player, ttl=timedelta(hours=1))
    warm(as_token(key))
    assert cached(key)
    later = timezone.now() + timedelta(hours=1, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert_error(as_token(key).get("/api/v1/users/me"), 401, "not_authenticated")


def test_an_expired_token_is_refused_and_deleted_when_the_cache_is_cold(player):
    token, key = services.issue_token(user=player, ttl=timedelta(hours=1))
    AuthToken.objects.filter(digest=token.digest).update(
        expiry=timezone.now() - timedelta(seconds=1)
    )
    assert_error(as_token(key).get("/api/v1/users/me"), 401, "not_authenticated")
    assert not AuthToken.objects.filter(digest=token.digest).exists()


def test_the_cache_never_outlives_a_token(player):
    token, key = services.issue_token(user=player, ttl=timedelta(seconds=5))
    warm(as_token(key))
    redis_ttl = cache.ttl("auth:knox:v1:" + token.digest) if hasattr(cache, "ttl") else 5
    assert 0 < redis_ttl <= 5


def test_a_deactivated_players_token_is_refused_at_once(player):
    key = log_in(player)
    warm(as_token(key))
    player.is_active = False
    player.save()
    assert_error(as_token(key).get("/api/v1/users/me"), 401)


def test_support_sees_a_service_accounts_token_but_not_its_key_and_revokes_it(db):
    import json

    data = json.loads(run("create_service_account", "payments-backend", "--json"))
    key = data["token"]
    backend = as_token(key)
    assert backend.get("/api/v1/currencies").status_code == 200
    assert backend.get("/api/v1/currencies").status_code == 200  # from the cache now
    stored = AuthToken.objects.get(user_id=data["id"])
    assert stored.expiry is None  # long-lived: until support revokes it

    support = login(staff_in(SUPPORT))
    page = support.get("/admin/accounts/apitoken/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "payments-backend" in text and stored.token_key in text
    assert key not in text  # the digest, the page's row id, is no credential (the dump test)
    assert support.get("/admin/accounts/apitoken/add/").status_code == 403

    response = support.post(
        f"/admin/accounts/apitoken/{stored.pk}/delete/", {"post": "yes"}, follow=False
    )
    assert response.status_code == 302, response.content[:500]
    assert not AuthToken.objects.filter(pk=stored.pk).exists()
    assert_error(backend.get("/api/v1/currencies"), 401, "not_authenticated")


def test_support_revokes_tokens_in_bulk_from_the_list(player):
    keys = [log_in(player), log_in(player)]
    for key in keys:
        warm(as_token(key))
    support = login(staff_in(SUPPORT))
    response = support.post(
        "/admin/accounts/apitoken/",
        {
            "action": "delete_selected",
            "_selected_action": [hash_token(key) for key in keys],
            "post": "yes",
        },
    )
    assert response.status_code == 302, response.content[:500]
    for key in keys:
        assert_error(as_token(key).get("/api/v1/users/me"), 401)


def _every_stored_string():
    """Every value of every row of every token table, as a database dump would show it."""
    tables = [AuthToken._meta.db_table, Token._meta.db_table]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                yield from (str(value) for value in row if value is not None)


def test_a_dump_of_every_token_table_holds_no_usable_token(player, backend, studio_secret):
    import json

    log_in(player)
    APIClient().post(
        "/api/v1/auth/players",
        {"provider": "steam", "external_id": "1"},
        format="json",
        HTTP_AUTHORIZATION=f"Token {services.issue_token(user=backend, ttl=None)[1]}",
    )
    json.loads(run("create_service_account", "dumped", "--json"))
    assert AuthToken.objects.count() == 4 and not Token.objects.exists()
    values = set(_every_stored_string())
    assert values
    for value in values:
        for scheme in ("Token", "Bearer"):
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"{scheme} {value}")
            response = client.get("/api/v1/users/me")
            assert response.status_code == 401, (scheme, value, response.status_code)


def test_a_legacy_key_keeps_working_until_it_is_rotated(player):
    legacy = client_for(player)
    warm(legacy)
    assert log_in(player)  # logging in again does not break the old client
    warm(legacy)


def test_a_legacy_key_deleted_inside_a_transaction_is_refused_at_once(player):
    """As the admin deletes: the cache entry is dropped on commit, from the key read before."""
    legacy = client_for(player)
    warm(legacy)
    with transaction.atomic():
        Token.objects.filter(user=player).delete()
    assert_error(legacy.get("/api/v1/users/me"), 401, "not_authenticated")
