"""POST /transfers of currency: one `transfer` ledger row from the sender's wallet to the
receiver's, with its Transfer row and one event, or nothing at all."""

import pytest

from economy.events.models import Event, EventType
from economy.ledger.models import Kind, Status, Transaction
from economy.transfers.models import Transfer
from tests.factories import CurrencyFactory, UserFactory
from tests.support.api import assert_error
from tests.support.ledger import assert_ledger_consistent, balance_of, wallet_of
from tests.support.transfers import post_transfer, snapshot, transfers_page

pytestmark = pytest.mark.django_db


def test_a_player_sends_a_giftable_currency_to_another(alice, bob, alice_client, bob_client):
    response = post_transfer(
        alice_client, from_user=alice.pk, to_user=bob.pk, currency="gems", amount=30, reason="gg"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    transfer = Transfer.objects.get()
    assert body["transfer"] == {
        "id": transfer.pk,
        "from_user": alice.pk,
        "to_user": bob.pk,
        "currency": "gems",
        "amount": 30,
        "transaction_id": transfer.transaction_id,
        "product_id": None,
        "product_name": None,
        "quantity": None,
        "reason": "gg",
        "created_at": body["transfer"]["created_at"],
    }
    assert body["sender"] == {
        "user_id": alice.pk,
        "currency": "gems",
        "balance": 970,
        "held": 0,
        "available": 970,
    }
    assert body["receiver"] == {
        "user_id": bob.pk,
        "currency": "gems",
        "balance": 130,
        "held": 0,
        "available": 130,
    }
    # The database: both wallets, one ledger row between them, the Transfer row pointing at it.
    assert (balance_of(alice, "gems"), balance_of(bob, "gems")) == (970, 130)
    row = Transaction.objects.get(kind=Kind.TRANSFER)
    assert (row.status, row.amount, row.currency.code, row.reason) == (
        Status.COMPLETED,
        30,
        "gems",
        "gg",
    )
    assert (row.debit_wallet, row.credit_wallet) == (
        wallet_of(alice, "gems"),
        wallet_of(bob, "gems"),
    )
    assert (row.user, row.counterparty, row.created_by) == (alice, bob, alice)
    assert row.idempotency_key == transfer.idempotency_key == "transfer-1"
    assert body["transaction"]["id"] == row.pk
    assert (body["transaction"]["debit"], body["transaction"]["credit"]) == (
        f"player:{alice.pk}",
        f"player:{bob.pk}",
    )
    assert (transfer.transaction, transfer.created_by) == (row, alice)
    assert_ledger_consistent()

    # Exactly one event, naming both sides and both balances: the response itself.
    [event] = Event.objects.filter(type=EventType.TRANSFER_COMPLETED)
    assert (event.type, event.user) == (EventType.TRANSFER_COMPLETED, alice)
    assert event.payload == body

    # Both players see it: in their ledgers and in their transfers.
    for client, user in ((alice_client, alice), (bob_client, bob)):
        ledger = client.get(f"/api/v1/users/{user.pk}/transactions?kind=transfer").json()
        assert [t["id"] for t in ledger["results"]] == [row.pk]
        transfers = transfers_page(client, user).json()
        assert [t["id"] for t in transfers["results"]] == [transfer.pk]


def test_the_currency_defaults_to_the_default_one(alice, bob, backend_client):
    response = post_transfer(backend_client, from_user=alice.pk, to_user=bob.pk, amount=5)
    assert response.status_code == 201, response.content
    assert response.json()["sender"]["currency"] == "coins"
    assert (balance_of(alice), balance_of(bob)) == (995, 105)


def test_a_trusted_backend_moves_any_currency_between_anyone(alice, bob, backend, backend_client):
    """An accepted trade: coins are not giftable, and no daily limit binds the backend."""
    response = post_transfer(
        backend_client,
        from_user=alice.pk,
        to_user=bob.pk,
        currency="coins",
        amount=900,
        reason="trade #42",
    )
    assert response.status_code == 201, response.content
    assert (balance_of(alice), balance_of(bob)) == (100, 1000)
    transfer = Transfer.objects.get()
    assert (transfer.created_by, transfer.transaction.created_by) == (backend, backend)
    assert Event.objects.filter(type=EventType.TRANSFER_COMPLETED).count() == 1
    assert_ledger_consistent()


def test_a_receiver_without_a_wallet_gets_one_with_its_initial_grant(alice, backend_client):
    CurrencyFactory(code="stars", initial_grant=7, is_giftable=True)
    newcomer = UserFactory()
    post_transfer(backend_client, from_user=alice.pk, to_user=newcomer.pk, amount=1)
    response = post_transfer(
        backend_client,
        key="t-2",
        from_user=newcomer.pk,
        to_user=alice.pk,
        currency="stars",
        amount=2,
    )
    assert response.status_code == 201, response.content
    assert (balance_of(newcomer, "stars"), balance_of(alice, "stars")) == (5, 9)
    assert_ledger_consistent()


def test_a_replay_moves_once_and_another_body_under_the_key_is_422(alice, bob, alice_client):
    body = {"from_user": alice.pk, "to_user": bob.pk, "currency": "gems", "amount": 10}
    first = post_transfer(alice_client, key="gift-1", **body)
    again = post_transfer(alice_client, key="gift-1", **body)
    assert first.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert balance_of(alice, "gems") == 990
    transfers = Event.objects.filter(type=EventType.TRANSFER_COMPLETED)
    assert (Transfer.objects.count(), transfers.count()) == (1, 1)

    before = snapshot()
    assert_error(post_transfer(alice_client, key="gift-1", **{**body, "amount": 11}), 422)
    assert snapshot() == before


def test_the_idempotency_key_is_required(alice, bob, alice_client):
    before = snapshot()
    response = post_transfer(alice_client, key=None, from_user=alice.pk, to_user=bob.pk, amount=1)
    assert_error(response, 400, "idempotency_key_missing")
    assert snapshot() == before


# --- refusals: each a clear 4xx, nothing changed, no event -------------------------------------


def refused(client, status, code, **body):
    """The refusal, having changed nothing: a 409 only keeps its Idempotency-Key's record, so
    that a retry is refused the same way."""
    before = snapshot()
    error = assert_error(post_transfer(client, **body), status, code)
    after = snapshot()
    assert after.pop("idempotency_keys") == before.pop("idempotency_keys") + (status == 409)
    assert after == before
    return error


def test_a_player_may_send_only_from_itself(alice, bob, bob_client):
    refused(
        bob_client,
        403,
        "permission_denied",
        from_user=alice.pk,
        to_user=bob.pk,
        currency="gems",
        amount=10,
    )


def test_a_currency_that_is_not_giftable_is_409_not_transferable(alice, bob, alice_client):
    error = refused(
        alice_client,
        409,
        "not_transferable",
        from_user=alice.pk,
        to_user=bob.pk,
        currency="coins",
        amount=10,
    )
    assert error["details"] == {"reason": "not_giftable", "currency": "coins"}


def test_over_the_daily_limit_is_409_not_transferable_with_the_limit(alice, bob, alice_client):
    assert (
        post_transfer(
            alice_client, key="a", from_user=alice.pk, to_user=bob.pk, currency="gems", amount=400
        ).status_code
        == 201
    )
    error = refused(
        alice_client,
        409,
        "not_transferable",
        key="b",
        from_user=alice.pk,
        to_user=bob.pk,
        currency="gems",
        amount=101,
    )
    details = error["details"]
    assert details["resets_at"].endswith("T00:00:00+00:00")
    assert {key: value for key, value in details.items() if key != "resets_at"} == {
        "reason": "daily_limit_reached",
        "currency": "gems",
        "limit": 500,
        "sent_today": 400,
        "requested": 101,
    }
    # Up to the limit exactly is fine.
    assert (
        post_transfer(
            alice_client, key="c", from_user=alice.pk, to_user=bob.pk, currency="gems", amount=100
        ).status_code
        == 201
    )


def test_the_limit_defaults_to_the_setting(alice, bob, alice_client, gems, settings):
    gems.daily_transfer_limit = None
    gems.save()
    settings.ECONOMY_DAILY_TRANSFER_LIMIT = 50
    error = refused(
        alice_client,
        409,
        "not_transferable",
        from_user=alice.pk,
        to_user=bob.pk,
        currency="gems",
        amount=51,
    )
    assert error["details"]["limit"] == 50


def test_the_daily_limit_counts_only_today_utc(alice, bob, alice_client, gems):
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from economy.ledger import services as ledger

    # Yesterday's 500, written as a trusted backend's transfer would be, but dated yesterday.
    with transaction.atomic():
        wallets = ledger.lock_wallets([(alice.pk, gems), (bob.pk, gems)])
        yesterday = timezone.now() - timedelta(days=1)
        row = ledger.post(
            debit=wallets[alice.pk, gems.pk],
            credit=wallets[bob.pk, gems.pk],
            amount=500,
            kind=Kind.TRANSFER,
            created_at=yesterday,
        )
        Transfer.objects.create(
            from_user=alice,
            to_user=bob,
            currency=gems,
            amount=500,
            transaction=row,
            created_at=yesterday,
        )
    response = post_transfer(
        alice_client, from_user=alice.pk, to_user=bob.pk, currency="gems", amount=500
    )
    assert response.status_code == 201, response.content


def test_more_than_available_is_409_insufficient_funds(alice, bob, alice_client):
    error = refused(
        alice_client,
        409,
        "insufficient_funds",
        from_user=alice.pk,
        to_user=bob.pk,
        currency="gems",
        amount=1001,
    )
    assert error["details"] == {"currency": "gems", "available": 1000, "required": 1001}


def test_above_the_receivers_maximum_is_409_balance_limit_exceeded(
    alice, bob, backend_client, gems
):
    gems.max_balance = 120
    gems.save()
    error = refused(
        backend_client,
        409,
        "balance_limit_exceeded",
        from_user=alice.pk,
        to_user=bob.pk,
        currency="gems",
        amount=21,
    )
    assert error["details"] == {"currency": "gems", "balance": 100, "maximum": 120}


def test_an_inactive_or_unknown_currency_is_409_currency_unavailable(alice, bob, backend_client):
    CurrencyFactory(code="retired", is_active=False)
    for code in ("retired", "nope"):
        refused(
            backend_client,
            409,
            "currency_unavailable",
            key=code,
            from_user=alice.pk,
            to_user=bob.pk,
            currency=code,
            amount=1,
        )


def test_an_unknown_user_is_404(alice, bob, alice_client, backend_client):
    missing = UserFactory.build(pk=10**9).pk
    refused(alice_client, 404, "not_found", from_user=alice.pk, to_user=missing, amount=1)
    refused(backend_client, 404, "not_found", from_user=missing, to_user=bob.pk, amount=1)
    refused(backend_client, 404, "not_found", key="k", from_user=missing, to_user=missing, amount=1)


def test_a_transfer_to_oneself_is_409_not_transferable(alice, alice_client, gems):
    # Well formed (the schema cannot say the two ids differ): the ids name one user.
    error = refused(
        alice_client,
        409,
        "not_transferable",
        from_user=alice.pk,
        to_user=alice.pk,
        currency="gems",
        amount=1,
    )
    assert error["details"] == {"reason": "same_user", "user_id": alice.pk}


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 0},
        {"amount": -1},
        {"amount": "10"},
        {"amount": 1.5},
        {"amount": True},
        {"amount": 10**9},
        {"currency": "Not A Code"},
        {"reason": "x" * 501},
        {"from_user": "1"},
        {"to_user": None},
        {"to_user": 2**63},
        {"product": 1},  # both shapes at once
    ],
)
def test_bad_input_is_400_validation_error(alice, bob, backend_client, body):
    refused(
        backend_client,
        400,
        "validation_error",
        **{"from_user": alice.pk, "to_user": bob.pk, "currency": "gems", "amount": 5, **body},
    )


@pytest.mark.parametrize("missing", ["from_user", "to_user"])
def test_both_parties_are_required(alice, bob, backend_client, missing):
    body = {"from_user": alice.pk, "to_user": bob.pk, "amount": 5}
    del body[missing]
    error = refused(backend_client, 400, "validation_error", **body)
    assert missing in error["details"]


def test_a_body_of_neither_shape_is_400(alice, bob, backend_client):
    error = refused(backend_client, 400, "validation_error", from_user=alice.pk, to_user=bob.pk)
    assert "non_field_errors" in error["details"]


def test_smuggled_fields_are_ignored(alice, bob, alice_client, backend):
    response = post_transfer(
        alice_client,
        from_user=alice.pk,
        to_user=bob.pk,
        currency="gems",
        amount=10,
        balance=10**6,
        created_by=backend.pk,
        transaction=1,
        status="failed",
    )
    assert response.status_code == 201, response.content
    transfer = Transfer.objects.get()
    assert (transfer.created_by, transfer.transaction.status) == (alice, Status.COMPLETED)
    assert (balance_of(alice, "gems"), balance_of(bob, "gems")) == (990, 110)
