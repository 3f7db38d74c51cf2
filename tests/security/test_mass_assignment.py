"""Fields a player must never set (balance, held, price, status, the wallets a movement goes
between, is_staff, someone else's user_id), sent in every body that accepts one: ignored or
refused, never applied."""

import pytest

from economy.catalog.models import Product
from economy.ledger.models import Kind, Status, Transaction
from economy.ledger.services import add_funds
from tests.factories import CurrencyFactory, UserFactory
from tests.support.api import assert_error
from tests.support.ledger import assert_ledger_consistent, balance_of, snapshot

pytestmark = pytest.mark.django_db

SMUGGLED = {
    "balance": 10**9,
    "held": -(10**9),
    "available": 10**9,
    "balances": {"coins": {"balance": 10**9, "held": 0, "available": 10**9}},
    "debit": "faucet:deposits",
    "credit": "player:1",
    "debit_wallet": 1,
    "credit_wallet": 1,
    "counterparty": 1,
    "created_by": 1,
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
    assert (body["currency"], body["balance"], body["held"]) == (
        "coins",
        1000 - 2 * product.price,
        0,
    )
    assert body["transaction"]["unit_price"] == product.price
    assert body["transaction"]["status"] == "completed"
    assert body["transaction"]["kind"] == "purchase"
    assert (body["transaction"]["debit"], body["transaction"]["credit"]) == (
        f"player:{player.pk}",
        "sink:store",
    )
    assert balance_of(player) == 1000 - 2 * product.price
    player.refresh_from_db()
    assert not player.is_staff and not player.is_superuser
    assert Product.objects.get(pk=product.pk).price == product.price
    assert_ledger_consistent()


def test_purchase_is_paid_in_the_products_currency_whatever_the_body_names(
    player, player_client, product
):
    gems = CurrencyFactory(code="gems")
    add_funds(user_id=player.pk, amount=50, currency=gems)

    response = player_client.post(
        f"/api/v1/products/{product.pk}/purchase",
        {"quantity": 1, "currency": "gems", "price_currency": gems.pk},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["currency"] == "coins"
    assert (balance_of(player), balance_of(player, "gems")) == (1000 - product.price, 50)


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
    before = snapshot()["wallets"]
    response = player_client.post(
        f"/api/v1/products/{product.pk}/use",
        {"quantity": 1, "user_id": UserFactory().pk, **SMUGGLED},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert snapshot()["wallets"] == before
    player.refresh_from_db()
    assert not player.is_staff


@pytest.mark.parametrize("route", ["add-funds", "spend"])
@pytest.mark.parametrize("target", ["self", "other"])
def test_money_routes_are_forbidden_to_players_even_for_themselves(
    target, route, player, player_client, staff
):
    user_id = player.pk if target == "self" else staff.pk
    before = snapshot()
    response = player_client.post(
        f"/api/v1/users/{user_id}/{route}",
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
    assert balance_of(player) == 1025 and balance_of(staff) == 0
    deposit = Transaction.objects.get(kind=Kind.DEPOSIT)
    assert (deposit.user_id, deposit.amount, deposit.status) == (player.pk, 25, Status.COMPLETED)
    assert (deposit.debit_wallet.name, deposit.credit_wallet.owner_id) == (
        "faucet:deposits",
        player.pk,
    )
    assert deposit.created_by.username == "payments-backend"
    assert_ledger_consistent()


def test_spend_debits_the_user_in_the_url_into_a_sink_and_ignores_smuggled_fields(
    backend_client, player, staff
):
    response = backend_client.post(
        f"/api/v1/users/{player.pk}/spend",
        {
            "amount": 25,
            "sink": "sink:crafting",
            "user_id": staff.pk,
            **{k: v for k, v in SMUGGLED.items() if k != "amount"},
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="smuggle",
    )
    assert response.status_code == 201, response.content
    assert balance_of(player) == 975 and balance_of(staff) == 0
    spent = Transaction.objects.get(kind=Kind.SPEND)
    assert (spent.user_id, spent.amount, spent.status) == (player.pk, 25, Status.COMPLETED)
    assert (spent.debit_wallet.owner_id, spent.credit_wallet.name) == (player.pk, "sink:crafting")
    assert_ledger_consistent()


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
    assert balance_of(player) == 1000
    player.refresh_from_db()
    assert not player.is_staff
