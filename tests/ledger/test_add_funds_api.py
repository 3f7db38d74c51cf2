import pytest

from economy.ledger.models import Kind, Status, SystemWallet, Transaction
from tests.factories import UserFactory
from tests.support.ledger import assert_ledger_consistent, balance_of, system_balance, wallet_of

pytestmark = pytest.mark.django_db


def add_funds(client, user, amount, key="key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(
        f"/api/v1/users/{user.pk}/add-funds", {"amount": amount}, format="json", **headers
    )


def test_a_trusted_backend_credits_a_player(backend, backend_client, player):
    response = add_funds(backend_client, player, 250)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"transaction", "currency", "balance", "held", "available"}
    assert (body["currency"], body["balance"], body["held"], body["available"]) == (
        "coins",
        1250,
        0,
        1250,
    )
    shown = body["transaction"]
    assert (shown["kind"], shown["status"], shown["amount"], shown["currency"]) == (
        "deposit",
        "completed",
        250,
        "coins",
    )
    assert (shown["debit"], shown["credit"]) == ("faucet:deposits", f"player:{player.pk}")
    assert balance_of(player) == 1250
    row = Transaction.objects.get(user=player, kind=Kind.DEPOSIT)
    assert row.pk == shown["id"]
    assert (row.status, row.created_by, row.idempotency_key) == (Status.COMPLETED, backend, "key-1")
    assert (row.debit_wallet.name, row.credit_wallet) == (SystemWallet.DEPOSITS, wallet_of(player))
    # The faucet issued what the player received: the currency still sums to 0.
    assert system_balance(SystemWallet.DEPOSITS) == -250
    assert_ledger_consistent()


def test_a_replayed_key_credits_once(backend_client, player):
    first = add_funds(backend_client, player, 250)
    again = add_funds(backend_client, player, 250)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert balance_of(player) == 1250
    assert Transaction.objects.filter(user=player, kind=Kind.DEPOSIT).count() == 1


def test_staff_may_add_funds(staff_client, player):
    assert add_funds(staff_client, player, 10).status_code == 201


def test_a_player_crediting_itself_is_403(player, player_client):
    response = add_funds(player_client, player, 100)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert balance_of(player) == 1000
    assert not Transaction.objects.filter(kind=Kind.DEPOSIT).exists()


def test_a_player_crediting_another_is_403(player_client):
    other = UserFactory()
    assert add_funds(player_client, other, 100).status_code == 403


def test_the_idempotency_key_is_required(backend_client, player):
    response = add_funds(backend_client, player, 100, key=None)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_missing"
    assert not Transaction.objects.filter(kind=Kind.DEPOSIT).exists()


@pytest.mark.parametrize("amount", [0, -1, 100_001, 10**20, "100", 10.5, None, True])
def test_bad_amounts_are_400_and_change_nothing(backend_client, player, amount):
    response = add_funds(backend_client, player, amount)
    assert response.status_code == 400
    assert "amount" in response.json()["error"]["details"]
    assert balance_of(player) == 1000
    assert not Transaction.objects.filter(kind=Kind.DEPOSIT).exists()


def test_the_deposit_limit_comes_from_settings(backend_client, player, settings):
    settings.ECONOMY_MAX_DEPOSIT = 50
    assert add_funds(backend_client, player, 51).status_code == 400
    assert add_funds(backend_client, player, 50, key="k2").status_code == 201


def test_adding_funds_to_an_unknown_user_is_404(backend_client):
    response = backend_client.post(
        "/api/v1/users/999999/add-funds", {"amount": 1}, format="json", HTTP_IDEMPOTENCY_KEY="x"
    )
    assert response.status_code == 404
    assert not Transaction.objects.filter(kind=Kind.DEPOSIT).exists()
