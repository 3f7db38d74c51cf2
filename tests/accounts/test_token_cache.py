"""The token's user is cached; revocation, deactivation and balances are never stale."""

import pytest

from tests.factories import UserFactory
from tests.support.api import CLOSED_PORT_CACHE, client_for, grant

# Cache entries are dropped on commit: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_repeated_request_skips_the_token_lookup(player, django_assert_num_queries):
    client = client_for(player)
    # The token join + the user's permissions + the profile: the user, its wallets, the
    # active currencies, and the default currency (cached from then on).
    with django_assert_num_queries(6) as first:
        assert client.get("/api/v1/users/me").status_code == 200
    # The profile only: the user, its wallets and the currencies.
    with django_assert_num_queries(3) as again:
        assert client.get("/api/v1/users/me").status_code == 200
    lookup = ("authtoken_token", "auth_permission")
    assert all(any(t in q["sql"] for q in first.captured_queries) for t in lookup)
    assert not [q["sql"] for q in again.captured_queries if any(t in q["sql"] for t in lookup)]


def test_the_profile_of_a_cached_token_is_the_users_own_row(player):
    client = client_for(player)
    first = client.get("/api/v1/users/me").json()
    again = client.get("/api/v1/users/me").json()  # the token's user from the cache now
    assert again == first
    assert again["created_at"] is not None and again["email"] == player.email


def test_a_deleted_token_is_refused_at_once(player):
    client = client_for(player)
    assert client.get("/api/v1/users/me").status_code == 200
    player.auth_token.delete()
    assert client.get("/api/v1/users/me").status_code == 401


def test_a_deactivated_user_is_refused_at_once(player):
    client = client_for(player)
    assert client.get("/api/v1/users/me").status_code == 200
    player.is_active = False
    player.save()
    assert client.get("/api/v1/users/me").status_code == 401


def test_the_balance_shown_is_never_the_cached_users(player, product):
    client = client_for(player)
    assert client.get("/api/v1/users/me").json()["balance"] == 1000
    client.post(f"/api/v1/products/{product.pk}/purchase", {}, format="json")
    assert client.get("/api/v1/users/me").json()["balance"] == 900
    assert client.get(f"/api/v1/users/{player.pk}").json()["balance"] == 900
    assert client.get("/api/v1/users/me").json()["balances"]["coins"] == {
        "balance": 900,
        "held": 0,
        "available": 900,
    }


def test_a_player_made_staff_is_seen_as_staff_at_once(player):
    other = UserFactory()
    client = client_for(player)
    assert client.get(f"/api/v1/users/{other.pk}").status_code == 403
    player.is_staff = True
    player.save()
    grant(player, "view_user")
    assert client.get(f"/api/v1/users/{other.pk}").status_code == 200


def test_with_redis_unreachable_tokens_are_checked_in_the_database(player, settings):
    settings.CACHES = CLOSED_PORT_CACHE
    client = client_for(player)
    assert client.get("/api/v1/users/me").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert client.get("/api/v1/users/me").status_code == 401
