"""Fields a player must never set (balance, price, status, is_staff, someone else's user_id),
sent in every body that accepts one: ignored or refused, never applied."""

import pytest

from economy.accounts.models import User
from economy.catalog.models import Product
from economy.ledger.models import Kind, Status, Transaction
from tests.factories import UserFactory
from tests.support.api import assert_error
from tests.support.ledger import snapshot

pytestmark = pytest.mark.django_db

SMUGGLED = {
    "balance": 10**9,
    "price": 1,
    "unit_price": 1,
    "amount": 1,
    "status": "failed",
    "kind": "refund",
    "is_staff": True,
    "is_superuser": True,
}


def test_purchase_ignores_smuggled_fields_and_charges_the_real_price(
    player, player_client, product
):
    response = player_client.post(
        f"/api/v1/products/{product.pk}/purchase", {"quantity": 2, **SMUGGLED}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["balance"] == 1000 - 2 * product.price
    assert body["transaction"]["unit_price"] == product.price
    assert body["transaction"]["status"] == "completed"
    assert body["transaction"]["kind"] == "purchase"
    player.refresh_from_db()
    assert player.balance == 1000 - 2 * product.price
    assert not player.is_staff and not player.is_superuser
    assert Product.objects.get(pk=product.pk).price == product.price


def test_purchase_for_another_player_is_403_for_a_player(player_client, product):
    other = UserFactory(funds=500)
    before = snapshot()
    response = player_client.post(
        f"/api/v1/products/{product.pk}/purchase",
        {"quantity": 1, "user_id": other.pk},
        format="json",
    )
    assert_error(response, 403, "permission_denied")
    assert snapshot() == before


def test_use_ignores_smuggled_fields(player, player_client, product):
    player_client.post(f"/api/v1/products/{product.pk}/purchase", {"quantity": 1}, format="json")
    before = User.objects.get(pk=player.pk).balance
    response = player_client.post(
        f"/api/v1/products/{product.pk}/use",
        {"quantity": 1, "user_id": UserFactory().pk, **SMUGGLED},
        format="json",
    )
    assert response.status_code == 200, response.content
    player.refresh_from_db()
    assert player.balance == before and not player.is_staff


@pytest.mark.parametrize("target", ["self", "other"])
def test_add_funds_is_forbidden_to_players_even_for_themselves(
    target, player, player_client, staff
):
    user_id = player.pk if target == "self" else staff.pk
    before = snapshot()
    response = player_client.post(
        f"/api/v1/users/{user_id}/add-funds",
        {"amount": 100},
        format="json",
        HTTP_IDEMPOTENCY_KEY="self-credit",
    )
    assert_error(response, 403, "permission_denied")
    assert snapshot() == before


def test_add_funds_credits_the_user_in_the_url_and_ignores_smuggled_fields(
    backend_client, player, staff
):
    response = backend_client.post(
        f"/api/v1/users/{player.pk}/add-funds",
        {"amount": 25, "user_id": staff.pk, **{k: v for k, v in SMUGGLED.items() if k != "amount"}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="smuggle",
    )
    assert response.status_code == 201, response.content
    player.refresh_from_db()
    staff.refresh_from_db()
    assert player.balance == 1025 and staff.balance == 0
    deposit = Transaction.objects.get(kind=Kind.DEPOSIT)
    assert (deposit.user_id, deposit.amount, deposit.status) == (player.pk, 25, Status.COMPLETED)


@pytest.mark.parametrize("method", ["put", "patch", "post", "delete"])
@pytest.mark.parametrize("path", ["/api/v1/users/me", "/api/v1/users/{id}"])
def test_profiles_are_read_only(method, path, player, player_client):
    before = snapshot()
    response = getattr(player_client, method)(
        path.format(id=player.pk), {"balance": 10**9, "is_staff": True}, format="json"
    )
    assert_error(response, 405, "method_not_allowed")
    assert snapshot() == before


@pytest.mark.parametrize("method", ["put", "patch", "post", "delete"])
def test_products_are_read_only_through_the_api(method, player_client, product):
    before = snapshot()
    response = getattr(player_client, method)(
        f"/api/v1/products/{product.pk}", {"price": 1, "is_active": False}, format="json"
    )
    assert_error(response, 405, "method_not_allowed")
    assert snapshot() == before


def test_login_ignores_smuggled_fields(api_client, player):
    response = api_client.post(
        "/api/v1/auth/token",
        {"username": player.username, "password": "correct horse battery staple", **SMUGGLED},
        format="json",
    )
    assert response.status_code == 200, response.content
    player.refresh_from_db()
    assert player.balance == 1000 and not player.is_staff
