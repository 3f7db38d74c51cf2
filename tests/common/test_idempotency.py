"""Idempotency-Key semantics (contract section 3), on add-funds, spend, purchase and use."""

import pytest
from django.db import connection

from economy.common.models import IdempotencyRecord
from economy.inventory.models import InventoryItem
from economy.ledger.models import Kind, Status, Transaction
from tests.factories import CurrencyFactory, StaffFactory
from tests.support.api import grant
from tests.support.ledger import assert_ledger_consistent, balance_of, snapshot

pytestmark = pytest.mark.django_db


def post(client, path, body, key):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_same_key_same_request_replays_byte_for_byte_and_credits_once(backend_client, player):
    path = f"/api/v1/users/{player.pk}/add-funds"
    first = post(backend_client, path, {"amount": 300}, "top-up-1")
    second = post(backend_client, path, {"amount": 300}, "top-up-1")
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert balance_of(player) == 1300
    assert Transaction.objects.filter(kind=Kind.DEPOSIT).count() == 1


def test_a_replayed_spend_debits_once(backend_client, player):
    path = f"/api/v1/users/{player.pk}/spend"
    body = {"amount": 300, "sink": "sink:entry-fees", "reason": "Arena"}
    first = post(backend_client, path, body, "arena-1")
    second = post(backend_client, path, body, "arena-1")
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert first.json()["balance"] == balance_of(player) == 700
    assert Transaction.objects.filter(kind=Kind.SPEND).count() == 1
    assert_ledger_consistent()


def test_a_refused_spend_is_replayed_as_refused_and_records_one_failed_row(backend_client, player):
    path = f"/api/v1/users/{player.pk}/spend"
    refused = post(backend_client, path, {"amount": 1001}, "too-much")
    assert refused.status_code == 409
    assert refused.json()["error"]["details"] == {
        "currency": "coins",
        "available": 1000,
        "required": 1001,
    }
    again = post(backend_client, path, {"amount": 1001}, "too-much")
    assert again.status_code == 409 and again["Idempotent-Replayed"] == "true"
    assert again.content == refused.content
    assert Transaction.objects.filter(kind=Kind.SPEND, status=Status.FAILED).count() == 1
    assert balance_of(player) == 1000


@pytest.mark.parametrize(
    ("route", "changed"),
    [
        ("add-funds", {"currency": "gems"}),
        ("spend", {"currency": "gems"}),
        ("spend", {"sink": "sink:crafting"}),
        ("spend", {"reason": "Another reason"}),
    ],
)
def test_same_key_with_another_currency_sink_or_reason_is_422(
    route, changed, backend_client, player
):
    CurrencyFactory(code="gems", initial_grant=500)
    path = f"/api/v1/users/{player.pk}/{route}"
    assert post(backend_client, path, {"amount": 5}, "k").status_code == 201
    before = snapshot()
    response = post(backend_client, path, {"amount": 5, **changed}, "k")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert snapshot() == before


def test_same_key_with_a_different_body_is_422_and_changes_nothing(backend_client, player):
    path = f"/api/v1/users/{player.pk}/add-funds"
    post(backend_client, path, {"amount": 300}, "top-up-1")
    response = post(backend_client, path, {"amount": 301}, "top-up-1")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert balance_of(player) == 1300


def test_same_key_on_another_user_route_is_422(backend_client, player, staff):
    post(backend_client, f"/api/v1/users/{player.pk}/add-funds", {"amount": 5}, "k")
    response = post(backend_client, f"/api/v1/users/{staff.pk}/add-funds", {"amount": 5}, "k")
    assert response.status_code == 422
    assert balance_of(staff) == 0


def test_one_key_on_add_funds_then_spend_runs_both(backend_client, player):
    post(backend_client, f"/api/v1/users/{player.pk}/add-funds", {"amount": 5}, "k")
    response = post(backend_client, f"/api/v1/users/{player.pk}/spend", {"amount": 5}, "k")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert balance_of(player) == 1000


def test_keys_are_scoped_to_the_actor(make_client, player):
    path = f"/api/v1/users/{player.pk}/add-funds"
    first = make_client(grant(StaffFactory(), "add_funds"))
    second = make_client(grant(StaffFactory(), "add_funds"))
    assert post(first, path, {"amount": 10}, "same-key").status_code == 201
    response = post(second, path, {"amount": 10}, "same-key")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert balance_of(player) == 1020


def test_keys_are_scoped_to_the_route(player, player_client, product):
    post(player_client, f"/api/v1/products/{product.pk}/purchase", {"quantity": 2}, "k")
    response = post(player_client, f"/api/v1/products/{product.pk}/use", {"quantity": 2}, "k")
    assert response.status_code == 200
    assert InventoryItem.objects.get(user=player).quantity == 0


def test_a_replayed_purchase_buys_once_even_after_the_balance_changed(
    player, player_client, product
):
    path = f"/api/v1/products/{product.pk}/purchase"
    first = post(player_client, path, {"quantity": 10}, "buy-10")
    assert first.status_code == 201 and first.json()["balance"] == 0
    # The balance no longer covers it, but this is the same request: replay, not refusal.
    again = post(player_client, path, {"quantity": 10}, "buy-10")
    assert again.status_code == 201 and again.content == first.content
    assert Transaction.objects.filter(kind=Kind.PURCHASE).count() == 1
    assert InventoryItem.objects.get(user=player).quantity == 10
    assert_ledger_consistent()


def test_a_refused_purchase_is_replayed_as_refused(player, player_client, permanent):
    path = f"/api/v1/products/{permanent.pk}/purchase"
    post(player_client, path, {}, "first")
    refused = post(player_client, path, {}, "second")
    assert refused.status_code == 409
    again = post(player_client, path, {}, "second")
    assert again.status_code == 409 and again["Idempotent-Replayed"] == "true"
    assert Transaction.objects.filter(kind=Kind.PURCHASE, status="failed").count() == 1


def test_a_replayed_use_consumes_once(player, player_client, product):
    player_client.post(f"/api/v1/products/{product.pk}/purchase", {"quantity": 3}, format="json")
    path = f"/api/v1/products/{product.pk}/use"
    assert post(player_client, path, {"quantity": 1}, "use-1").json()["quantity_left"] == 2
    assert post(player_client, path, {"quantity": 1}, "use-1").json()["quantity_left"] == 2
    assert InventoryItem.objects.get(user=player).quantity == 2


def test_a_validation_error_does_not_burn_the_key(backend_client, player):
    path = f"/api/v1/users/{player.pk}/add-funds"
    assert post(backend_client, path, {"amount": -1}, "retry-me").status_code == 400
    assert not IdempotencyRecord.objects.exists()
    assert post(backend_client, path, {"amount": 1}, "retry-me").status_code == 201


@pytest.mark.parametrize("route", ["add-funds", "spend"])
@pytest.mark.parametrize("key", ["x" * 256, "ключ", "tab\there", "new\nline"])
def test_invalid_keys_are_400_idempotency_key_invalid(backend_client, player, key, route):
    response = backend_client.post(
        f"/api/v1/users/{player.pk}/{route}",
        {"amount": 1},
        format="json",
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_invalid"
    assert balance_of(player) == 1000


def test_a_255_character_printable_key_is_accepted(backend_client, player):
    key = ("A~ !" * 64)[:254] + "!"  # spaces inside; none at the ends (HTTP strips those)
    response = post(backend_client, f"/api/v1/users/{player.pk}/add-funds", {"amount": 1}, key)
    assert response.status_code == 201


def test_a_key_still_held_by_a_running_request_is_409_in_progress(backend, backend_client, player):
    """The first request holds its row lock on the key's index entry: after the lock timeout the
    duplicate is told to retry, and nothing of its own is written."""
    path = f"/api/v1/users/{player.pk}/add-funds"
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '200ms'")
    import threading

    from django.db import connections, transaction

    holding, release = threading.Event(), threading.Event()

    def first_request():
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    actor=backend,
                    route="POST api/v1/users/<int:user_id>/add-funds",
                    key="slow",
                    fingerprint="f",
                    status_code=201,
                    response_body=b"{}",
                )
                holding.set()
                release.wait(10)
                transaction.set_rollback(True)
        finally:
            connections.close_all()

    # The holder needs its own committed view of the user: run it on another connection.
    thread = threading.Thread(target=first_request)
    thread.start()
    try:
        assert holding.wait(10)
        response = post(backend_client, path, {"amount": 5}, "slow")
    finally:
        release.set()
        thread.join(10)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_progress"
    assert balance_of(player) == 1000
    assert not Transaction.objects.filter(kind=Kind.DEPOSIT).exists()


def test_a_reused_key_with_an_invalid_body_is_still_422(backend_client, player):
    path = f"/api/v1/users/{player.pk}/add-funds"
    post(backend_client, path, {"amount": 300}, "top-up-1")
    response = post(backend_client, path, {"amount": -5}, "top-up-1")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"


def test_a_replay_does_not_run_the_work_again(
    player, player_client, product, django_assert_max_num_queries
):
    path = f"/api/v1/products/{product.pk}/purchase"
    post(player_client, path, {"quantity": 1}, "once")
    player_client.force_authenticate(player)
    with django_assert_max_num_queries(2):  # the record's existence, then the record
        assert post(player_client, path, {"quantity": 1}, "once")["Idempotent-Replayed"] == "true"
