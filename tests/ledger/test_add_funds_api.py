import pytest

from economy.ledger.models import Kind, Status, Transaction
from tests.factories import UserFactory
from tests.support.ledger import assert_ledger_consistent

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
    assert body["balance"] == 1250
    assert (body["transaction"]["kind"], body["transaction"]["amount"]) == ("deposit", 250)
    player.refresh_from_db()
    assert player.balance == 1250
    row = Transaction.objects.get(user=player, kind=Kind.DEPOSIT)
    assert (row.status, row.created_by, row.idempotency_key) == (Status.COMPLETED, backend, "key-1")
    assert_ledger_consistent()


def test_staff_may_add_funds(staff_client, player):
    assert add_funds(staff_client, player, 10).status_code == 201


def test_a_player_crediting_itself_is_403(player, player_client):
    response = add_funds(player_client, player, 100)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    player.refresh_from_db()
    assert player.balance == 1000


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
    player.refresh_from_db()
    assert player.balance == 1000


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
