"""POST /users/{id}/spend: trusted backends charge a player for a sink that is not a catalog
purchase (an entry fee, crafting, a revive)."""

import pytest

from economy.ledger.models import Kind, Status, SystemWallet, Transaction
from tests.factories import CurrencyFactory, UserFactory
from tests.support.api import assert_error
from tests.support.ledger import assert_ledger_consistent, balance_of, snapshot

pytestmark = pytest.mark.django_db


def spend(client, user, key="fee-1", **body):
    return client.post(
        f"/api/v1/users/{user.pk}/spend",
        {"amount": 30, **body},
        format="json",
        **({"HTTP_IDEMPOTENCY_KEY": key} if key else {}),
    )


def test_a_spend_moves_currency_from_the_player_to_the_sink(backend_client, player):
    response = spend(backend_client, player, sink="sink:entry-fees", reason="Match 88")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["currency"], body["balance"], body["available"]) == ("coins", 970, 970)
    assert body["transaction"]["kind"] == "spend"
    assert body["transaction"]["debit"] == f"player:{player.pk}"
    assert body["transaction"]["credit"] == "sink:entry-fees"
    row = Transaction.objects.get(kind=Kind.SPEND)
    assert (row.reason, row.created_by.username) == ("Match 88", "payments-backend")
    assert balance_of(player) == 970
    assert_ledger_consistent()


def test_the_default_sink_is_sink_spend_and_other_currencies_work(backend_client, player):
    CurrencyFactory(code="gems", initial_grant=40)
    response = spend(backend_client, player, currency="gems", amount=15)
    assert response.status_code == 201, response.content
    assert response.json()["transaction"]["credit"] == SystemWallet.SPEND
    assert (balance_of(player), balance_of(player, "gems")) == (1000, 25)


def test_too_much_is_409_insufficient_funds_with_a_failed_row(backend_client, player):
    response = spend(backend_client, player, amount=1001)
    error = assert_error(response, 409, "insufficient_funds")
    assert error["details"] == {"currency": "coins", "available": 1000, "required": 1001}
    row = Transaction.objects.get(kind=Kind.SPEND)
    assert (row.status, row.failure_reason) == (Status.FAILED, "insufficient_funds")
    assert balance_of(player) == 1000
    assert_ledger_consistent()


def test_the_idempotency_key_is_required_and_a_replay_spends_once(backend_client, player):
    assert_error(spend(backend_client, player, key=None), 400, "idempotency_key_missing")
    first = spend(backend_client, player, key="fee-42")
    again = spend(backend_client, player, key="fee-42")
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert balance_of(player) == 970
    other = spend(backend_client, player, key="fee-42", amount=31)
    assert_error(other, 422, "idempotency_key_reused")


def test_players_may_not_spend_even_their_own_money(player, player_client):
    before = snapshot()
    assert_error(spend(player_client, player), 403, "permission_denied")
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 0},
        {"amount": "30"},
        {"amount": 10**9},
        {"sink": "faucet:grants"},
        {"sink": "store"},
        {"sink": "sink:UPPER"},
        {"reason": "x" * 501},
        {"currency": "Nope"},
    ],
)
def test_bad_input_is_400_and_changes_nothing(backend_client, player, body):
    before = snapshot()
    assert_error(spend(backend_client, player, **body), 400, "validation_error")
    assert snapshot() == before


def test_an_unknown_player_is_404(backend_client):
    assert_error(spend(backend_client, UserFactory.build(pk=10**9)), 404, "not_found")
