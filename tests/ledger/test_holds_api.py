"""Holds through HTTP: POST /users/{id}/holds, GET /holds/{id}, GET /users/{id}/holds,
POST /holds/{id}/capture and /void, with the database state after each."""

from datetime import timedelta
from datetime import timezone as dt_timezone

import pytest
from django.utils import timezone

from economy.events.models import Event
from economy.ledger import holds
from economy.ledger.models import Hold, HoldStatus, Kind, Status, SystemWallet, Transaction
from tests.factories import CurrencyFactory, UserFactory
from tests.support.api import assert_error, client_for
from tests.support.ledger import (
    assert_ledger_consistent,
    balance_of,
    snapshot,
    system_balance,
    wallet_of,
)

pytestmark = pytest.mark.django_db


def place(client, user, key="hold-1", **body):
    return client.post(
        f"/api/v1/users/{user.pk}/holds",
        {"amount": 100, **body},
        format="json",
        **({"HTTP_IDEMPOTENCY_KEY": key} if key else {}),
    )


def capture(client, hold_id, key="capture-1", **body):
    return client.post(
        f"/api/v1/holds/{hold_id}/capture",
        body,
        format="json",
        **({"HTTP_IDEMPOTENCY_KEY": key} if key else {}),
    )


def void(client, hold_id, key="void-1", **body):
    return client.post(
        f"/api/v1/holds/{hold_id}/void",
        body,
        format="json",
        **({"HTTP_IDEMPOTENCY_KEY": key} if key else {}),
    )


def placed(client, user, **body):
    response = place(client, user, **body)
    assert response.status_code == 201, response.content
    return response.json()["hold"]["id"]


def held_of(user, currency=None):
    wallet = wallet_of(user, currency)
    return (wallet.balance, wallet.held, wallet.available)


def test_a_hold_moves_the_amount_from_available_into_held(backend_client, backend, player):
    response = place(
        backend_client,
        player,
        expires_in=600,
        destination="sink:entry-fees",
        reference="match 42",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["currency"], body["balance"], body["held"], body["available"]) == (
        "coins",
        1000,
        100,
        900,
    )
    hold = body["hold"]
    assert hold["status"] == "pending"
    assert (hold["amount"], hold["destination"], hold["reference"]) == (
        100,
        "sink:entry-fees",
        "match 42",
    )
    assert (hold["on_expiry"], hold["captured_amount"], hold["capture_id"]) == ("void", None, None)
    row = Hold.objects.get()
    assert timedelta(seconds=599) < row.expires_at - row.created_at <= timedelta(seconds=600)
    assert row.created_by == backend
    # The ledger: a pending row from the player to escrow:holds, named after the reference.
    reservation = Transaction.objects.get(kind=Kind.HOLD)
    assert reservation.pk == hold["reservation_id"]
    assert (reservation.status, reservation.amount, reservation.reason) == (
        Status.PENDING,
        100,
        "match 42",
    )
    assert reservation.credit_wallet.name == SystemWallet.HOLDS
    assert held_of(player) == (1000, 100, 900)
    event = Event.objects.get(type__startswith="hold.")
    assert (event.type, event.user_id) == ("hold.placed", player.pk)
    assert event.payload["hold"]["id"] == hold["id"]
    assert event.payload["balance"] == {"balance": 1000, "held": 100, "available": 900}
    assert_ledger_consistent()


def test_the_defaults_are_an_hour_void_on_expiry_and_sink_spend(backend_client, player):
    hold = place(backend_client, player).json()["hold"]
    row = Hold.objects.get(pk=hold["id"])
    assert (row.on_expiry, row.destination.name) == ("void", SystemWallet.SPEND)
    assert timedelta(minutes=59) < row.expires_at - timezone.now() <= timedelta(hours=1)


def test_a_hold_in_another_currency_and_to_a_player(backend_client, player):
    CurrencyFactory(code="gems", initial_grant=50)
    rival = UserFactory()
    response = place(
        backend_client,
        player,
        amount=20,
        currency="gems",
        destination=f"player:{rival.pk}",
        expires_at=(timezone.now() + timedelta(minutes=5)).isoformat(),
        on_expiry="capture",
    )
    assert response.status_code == 201, response.content
    assert response.json()["hold"]["destination"] == f"player:{rival.pk}"
    assert held_of(player, "gems") == (50, 20, 30)
    assert held_of(player) == (1000, 0, 1000)


def test_more_than_available_is_409_with_a_failed_row_and_nothing_held(backend_client, player):
    placed(backend_client, player, amount=700)
    response = place(backend_client, player, key="hold-2", amount=301)
    error = assert_error(response, 409, "insufficient_funds")
    assert error["details"] == {"currency": "coins", "available": 300, "required": 301}
    failed = Transaction.objects.get(kind=Kind.HOLD, status=Status.FAILED)
    assert failed.failure_reason == "insufficient_funds"
    assert Hold.objects.count() == 1
    assert held_of(player) == (1000, 700, 300)
    assert Event.objects.filter(type__startswith="hold.").count() == 1
    assert_ledger_consistent()


def test_a_full_capture_pays_the_destination_and_releases_the_reservation(backend_client, player):
    hold_id = placed(backend_client, player, amount=250, destination="sink:entry-fees")
    response = capture(backend_client, hold_id)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["balance"], body["held"], body["available"]) == (750, 0, 750)
    assert body["hold"]["status"] == "captured"
    assert body["hold"]["captured_amount"] == 250
    hold = Hold.objects.get()
    assert (hold.reservation.status, hold.capture.status) == (Status.VOIDED, Status.COMPLETED)
    assert (hold.capture.amount, hold.capture.credit_wallet.name) == (250, "sink:entry-fees")
    assert system_balance("sink:entry-fees") == 250
    assert system_balance(SystemWallet.HOLDS) == 0
    holds_events = Event.objects.filter(type__startswith="hold.")
    assert list(holds_events.values_list("type", flat=True)) == ["hold.placed", "hold.captured"]
    assert_ledger_consistent()


def test_a_partial_capture_pays_part_and_gives_the_rest_back(backend_client, player):
    hold_id = placed(backend_client, player, amount=250)
    body = capture(backend_client, hold_id, amount=90).json()
    assert (body["balance"], body["held"], body["available"]) == (910, 0, 910)
    assert (body["hold"]["status"], body["hold"]["captured_amount"]) == ("captured", 90)
    assert system_balance(SystemWallet.SPEND) == 90
    assert_ledger_consistent()


def test_capturing_more_than_held_is_409_and_changes_nothing(backend_client, player):
    hold_id = placed(backend_client, player, amount=50)
    before = snapshot()
    error = assert_error(capture(backend_client, hold_id, amount=51), 409, "amount_exceeds_hold")
    assert error["details"] == {"hold_id": hold_id, "amount": 51, "held": 50}
    after = snapshot()
    assert after.pop("idempotency_keys") == before.pop("idempotency_keys") + 1  # an outcome
    assert after == before


def test_a_capture_may_name_the_winner_as_destination(backend_client, player):
    winner = UserFactory(funds=10)
    hold_id = placed(backend_client, player, amount=100, destination="sink:prize-pool")
    body = capture(backend_client, hold_id, destination=f"player:{winner.pk}").json()
    assert body["hold"]["status"] == "captured"
    assert body["hold"]["paid_to"] == f"player:{winner.pk}"
    hold = Hold.objects.get()
    assert hold.capture.credit_wallet.owner == winner
    shown = backend_client.get(f"/api/v1/holds/{hold.pk}").json()
    assert (shown["destination"], shown["paid_to"]) == ("sink:prize-pool", f"player:{winner.pk}")
    assert (balance_of(winner), balance_of(player)) == (110, 900)
    # The winner sees what it received in its own history.
    history = client_for(winner).get(f"/api/v1/users/{winner.pk}/transactions").json()
    assert history["results"][0]["id"] == hold.capture_id
    assert_ledger_consistent()


def test_a_capture_over_the_destination_maximum_is_409_and_the_hold_stays(backend_client, player):
    CurrencyFactory(code="gems", initial_grant=100, max_balance=120)
    rival = UserFactory()
    hold_id = placed(
        backend_client, player, amount=50, currency="gems", destination=f"player:{rival.pk}"
    )
    assert_error(capture(backend_client, hold_id), 409, "balance_limit_exceeded")
    assert Hold.objects.get().status == HoldStatus.PENDING
    assert held_of(player, "gems") == (100, 50, 50)
    assert capture(backend_client, hold_id, key="capture-2", amount=20).status_code == 200
    assert (balance_of(rival, "gems"), balance_of(player, "gems")) == (120, 80)
    assert_ledger_consistent()


def test_a_void_releases_all_of_it(backend_client, player):
    hold_id = placed(backend_client, player, amount=400)
    response = void(backend_client, hold_id, reason="match cancelled")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["balance"], body["held"], body["available"]) == (1000, 0, 1000)
    assert (body["hold"]["status"], body["hold"]["reason"]) == ("voided", "match cancelled")
    assert Hold.objects.get().capture is None
    assert Event.objects.order_by("-id").first().type == "hold.voided"
    assert_ledger_consistent()


@pytest.mark.parametrize("first", ["capture", "void"])
def test_an_ended_hold_refuses_capture_and_void_with_409(backend_client, player, first):
    hold_id = placed(backend_client, player)
    (capture if first == "capture" else void)(backend_client, hold_id)
    before = snapshot()
    for attempt, key in ((capture, "again-1"), (void, "again-2")):
        error = assert_error(attempt(backend_client, hold_id, key=key), 409, "hold_not_pending")
        assert error["details"]["status"] == ("captured" if first == "capture" else "voided")
    after = snapshot()
    assert after.pop("idempotency_keys") == before.pop("idempotency_keys") + 2
    assert after == before


def test_an_expired_hold_is_refused_even_before_the_task_runs(backend_client, player):
    an_hour_ago = timezone.now() - timedelta(hours=1)
    hold_id = holds.place_hold(
        user_id=player.pk,
        amount=100,
        currency=wallet_of(player).currency,
        expires_at=an_hour_ago + timedelta(minutes=30),
        on_expiry="capture",
        now=an_hour_ago,
    ).hold.pk
    error = assert_error(void(backend_client, hold_id), 409, "hold_not_pending")
    assert error["details"] == {"hold_id": hold_id, "status": "expired"}
    # Whoever found it past its expiry ended it as it was placed to: captured to sink:spend.
    hold = Hold.objects.get()
    assert (hold.status, hold.captured_amount) == (HoldStatus.EXPIRED, 100)
    assert held_of(player) == (900, 0, 900)
    assert Event.objects.order_by("-id").first().type == "hold.expired"
    assert holds.expire_due_holds() == 0
    assert_ledger_consistent()


def test_holds_are_read_by_backends_and_their_own_player(backend_client, player, player_client):
    hold_id = placed(backend_client, player)
    assert backend_client.get(f"/api/v1/holds/{hold_id}").json()["id"] == hold_id
    assert player_client.get(f"/api/v1/holds/{hold_id}").json()["status"] == "pending"
    other = client_for(UserFactory())
    assert_error(other.get(f"/api/v1/holds/{hold_id}"), 403, "permission_denied")
    assert_error(other.get(f"/api/v1/users/{player.pk}/holds"), 403, "permission_denied")
    assert_error(backend_client.get("/api/v1/holds/987654"), 404, "not_found")


def test_players_may_not_place_capture_or_void(backend_client, player, player_client):
    hold_id = placed(backend_client, player)
    before = snapshot()
    assert_error(place(player_client, player, key="mine"), 403, "permission_denied")
    assert_error(capture(player_client, hold_id), 403, "permission_denied")
    assert_error(void(player_client, hold_id), 403, "permission_denied")
    assert snapshot() == before


def test_a_player_s_holds_are_listed_newest_first_filtered_and_paged(
    backend_client, player, player_client, django_assert_num_queries
):
    ids = [placed(backend_client, player, key=f"h{n}", amount=10) for n in range(5)]
    void(backend_client, ids[1])
    page = player_client.get(f"/api/v1/users/{player.pk}/holds?page_size=2").json()
    assert [hold["id"] for hold in page["results"]] == [ids[4], ids[3]]
    older = player_client.get(page["next"]).json()
    assert [hold["id"] for hold in older["results"]] == [ids[2], ids[1]]
    newer = player_client.get(older["previous"]).json()
    assert [hold["id"] for hold in newer["results"]] == [ids[4], ids[3]]
    voided = backend_client.get(f"/api/v1/users/{player.pk}/holds?status=voided").json()
    assert [hold["id"] for hold in voided["results"]] == [ids[1]]
    url = f"/api/v1/users/{player.pk}/holds?page_size=100"
    # The player's existence (the caller is another user), then the page, however long.
    with django_assert_num_queries(2):
        assert len(backend_client.get(url).json()["results"]) == 5


@pytest.mark.parametrize(
    "body, field",
    [
        ({"amount": 0}, "amount"),
        ({"amount": "10"}, "amount"),
        ({"amount": 10**12}, "amount"),
        ({"expires_in": 0}, "expires_in"),
        ({"expires_in": 10**9}, "expires_in"),
        ({"expires_in": 60, "expires_at": "2030-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": "tomorrow"}, "expires_at"),
        ({"expires_at": "2030-01-01T00:00:00"}, "expires_at"),  # no offset: whose noon?
        ({"expires_at": "2030-01-01 00:00:00Z"}, "expires_at"),
        ({"expires_at": "20300101T000000Z"}, "expires_at"),
        ({"expires_at": "2030-W01-1T00:00:00Z"}, "expires_at"),
        ({"expires_at": "2030-02-30T00:00:00Z"}, "expires_at"),
        ({"expires_at": 1893456000}, "expires_at"),
        ({"on_expiry": "keep"}, "on_expiry"),
        ({"destination": "faucet:grants"}, "destination"),
        ({"destination": "escrow:holds"}, "destination"),
        ({"destination": "player:0"}, "destination"),
        ({"reference": "x" * 201}, "reference"),
        ({"currency": "NOT A CODE"}, "currency"),
    ],
)
def test_bad_input_is_400_and_changes_nothing(backend_client, player, body, field):
    before = snapshot()
    error = assert_error(place(backend_client, player, **body), 400, "validation_error")
    assert field in error["details"], error
    assert snapshot() == before


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"destination": "player:SELF"}, 409, "invalid_destination"),
        ({"destination": "player:987654"}, 404, "not_found"),
        ({"expires_at": "2000-01-01T00:00:00Z"}, 409, "invalid_expiry"),
        ({"expires_at": "2999-01-01T00:00:00Z"}, 409, "invalid_expiry"),
    ],
)
def test_a_well_formed_hold_the_state_refuses_changes_nothing(
    backend_client, player, body, status, code
):
    body = {key: value.replace("SELF", str(player.pk)) for key, value in body.items()}
    before = snapshot()
    assert_error(place(backend_client, player, key=f"k-{code}", **body), status, code)
    after = snapshot()
    after.pop("idempotency_keys"), before.pop("idempotency_keys")
    assert after == before


def test_unknown_player_and_currency(backend_client):
    assert_error(place(backend_client, type("U", (), {"pk": 987654})), 404, "not_found")
    player = UserFactory()
    assert_error(place(backend_client, player, currency="nope"), 409, "currency_unavailable")


def test_the_idempotency_key_is_required_and_replays_place_once(backend_client, player):
    assert_error(place(backend_client, player, key=None), 400, "idempotency_key_missing")
    first = place(backend_client, player, key="entry-7")
    again = place(backend_client, player, key="entry-7")
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Hold.objects.count() == 1
    other = place(backend_client, player, key="entry-7", amount=5)
    assert_error(other, 422, "idempotency_key_reused")
    hold_id = first.json()["hold"]["id"]
    assert_error(capture(backend_client, hold_id, key=None), 400, "idempotency_key_missing")
    assert_error(void(backend_client, hold_id, key=None), 400, "idempotency_key_missing")
    done = capture(backend_client, hold_id, key="end-7")
    assert capture(backend_client, hold_id, key="end-7").content == done.content
    assert Transaction.objects.filter(kind=Kind.HOLD, status=Status.COMPLETED).count() == 1


FORMS = {
    "offset": lambda moment: moment.astimezone(dt_timezone(timedelta(hours=2))).isoformat(),
    "lower case, fraction": lambda moment: moment.strftime("%Y-%m-%dt%H:%M:%S.5z"),
    "Z": lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
}


@pytest.mark.parametrize("form", FORMS)
def test_expires_at_is_the_moment_rfc_3339_writes(backend_client, player, form):
    moment = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    response = place(backend_client, player, expires_at=FORMS[form](moment))
    assert response.status_code == 201, response.content
    hold = Hold.objects.get(pk=response.json()["hold"]["id"])
    assert moment <= hold.expires_at < moment + timedelta(seconds=1)
