"""Every completed change writes its event in its own transaction (contract section 6): exactly
one, of the right type, naming the player, the product, the amount with its currency and the
balance after it; a refusal, a replay or a rollback writes none (but a refused purchase, whose
`failed` row is kept, writes its `purchase.refused` with it)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from economy.common.exceptions import InsufficientFunds
from economy.events.models import Event, EventType
from economy.inventory import services as inventory
from economy.inventory.models import InventoryItem
from economy.ledger import holds
from economy.ledger import services as ledger
from economy.ledger.models import Kind, Status, Transaction
from economy.transfers import services as transfers
from tests.factories import CurrencyFactory, PermanentProductFactory, UserFactory, default_currency
from tests.support.admin import SUPPORT, login, staff_in
from tests.support.api import assert_error, buy, client_for, purchase
from tests.support.concurrency import run_concurrently
from tests.support.ledger import assert_ledger_consistent, balance_of
from tests.support.transfers import post_transfer

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


def last_event_id():
    return Event.objects.aggregate(last=Max("id"))["last"] or 0


def events_since(mark):
    """The events written after `mark` (last_event_id()), oldest first."""
    return list(Event.objects.filter(pk__gt=mark).order_by("id"))


def post(client, path, key, **body):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(f"/api/v1/{path}", body, format="json", **headers)


def product_of(product):
    return {"id": product.pk, "name": product.name, "type": product.type}


# --- purchases, uses, refunds -----------------------------------------------------------------


def test_a_purchase_writes_purchase_completed_with_the_answer_the_buyer_and_the_product(
    player, player_client, product
):
    mark = last_event_id()
    response = buy(player_client, product, quantity=2)

    body = response.json()
    row = Transaction.objects.get(kind=Kind.PURCHASE)
    [event] = events_since(mark)
    assert (event.type, event.user) == (EventType.PURCHASE_COMPLETED, player)
    assert event.payload == {**body, "user_id": player.pk, "product": product_of(product)}
    assert event.payload["transaction"] | {"created_at": None} == {
        "id": row.pk,
        "kind": "purchase",
        "status": "completed",
        "amount": 200,
        "currency": "coins",
        "debit": f"player:{player.pk}",
        "credit": "sink:store",
        "quantity": 2,
        "unit_price": 100,
        "product_id": product.pk,
        "product_name": "Буст на день",
        "failure_reason": "",
        "reason": "",
        "refund_of_id": None,
        "created_at": None,
    }
    assert {key: event.payload[key] for key in ("quantity_held", "currency", "balance")} == {
        "quantity_held": 2,
        "currency": "coins",
        "balance": 800,
    }
    assert (event.payload["held"], event.payload["available"]) == (0, 800)
    assert event.payload["product"] == {
        "id": product.pk,
        "name": "Буст на день",
        "type": "consumable",
    }
    # The payload says what the database holds.
    assert balance_of(player) == 800
    assert InventoryItem.objects.get(user=player, product=product).quantity == 2


@pytest.mark.parametrize("owned", [False, True], ids=["insufficient_funds", "already_owned"])
def test_a_refused_purchase_writes_one_purchase_refused_beside_its_failed_row(
    player, player_client, owned
):
    permanent = PermanentProductFactory(name="Skin", price=600)
    if owned:
        buy(player_client, permanent)  # 400 left
    else:
        buy(player_client, PermanentProductFactory(price=500))  # 500 left
    mark = last_event_id()

    response = purchase(player_client, permanent)

    code = "already_owned" if owned else "insufficient_funds"
    assert_error(response, 409, code)
    failed = Transaction.objects.get(status=Status.FAILED)
    [event] = events_since(mark)
    assert (event.type, event.user) == (EventType.PURCHASE_REFUSED, player)
    assert event.payload["user_id"] == player.pk
    assert event.payload["product"] == {"id": permanent.pk, "name": "Skin", "type": "permanent"}
    transaction_ = event.payload["transaction"]
    assert (transaction_["id"], transaction_["status"], transaction_["failure_reason"]) == (
        failed.pk,
        "failed",
        code,
    )
    assert (transaction_["amount"], transaction_["currency"]) == (failed.amount, "coins")
    # Nothing moved: the balance is the one the refusal found.
    balance = 400 if owned else 500
    assert (event.payload["balance"], event.payload["available"]) == (balance, balance)
    assert balance_of(player) == balance
    assert_ledger_consistent()


def test_a_refused_purchase_under_an_idempotency_key_writes_its_event_once(
    player, player_client, product
):
    mark = last_event_id()
    first = post(player_client, f"products/{product.pk}/purchase", "buy-11", quantity=11)
    again = post(player_client, f"products/{product.pk}/purchase", "buy-11", quantity=11)

    assert_error(first, 409, "insufficient_funds")
    assert again.content == first.content
    assert [event.type for event in events_since(mark)] == [EventType.PURCHASE_REFUSED]
    assert Transaction.objects.filter(status=Status.FAILED).count() == 1


def test_a_purchase_refused_before_any_check_of_funds_writes_nothing(player, player_client):
    retired = PermanentProductFactory(is_active=False)
    mark = last_event_id()
    assert_error(purchase(player_client, retired), 409, "product_unavailable")
    assert events_since(mark) == []


def test_using_units_writes_item_used_with_the_units_used_and_left(player, player_client, product):
    buy(player_client, product, quantity=3)
    mark = last_event_id()

    response = player_client.post(
        f"/api/v1/products/{product.pk}/use", {"quantity": 2}, format="json"
    )

    assert response.status_code == 200, response.content
    [event] = events_since(mark)
    assert (event.type, event.user) == (EventType.ITEM_USED, player)
    assert event.payload == {
        "product_id": product.pk,
        "used": 2,
        "quantity_left": 1,
        "active_until": None,
        "user_id": player.pk,
        "product": {"id": product.pk, "name": "Буст на день", "type": "consumable"},
    }
    assert event.payload == {
        **response.json(),
        "user_id": player.pk,
        "product": product_of(product),
    }
    assert InventoryItem.objects.get(user=player, product=product).quantity == 1


def test_using_more_than_held_writes_nothing(player, player_client, product):
    buy(player_client, product)
    mark = last_event_id()
    response = player_client.post(
        f"/api/v1/products/{product.pk}/use", {"quantity": 2}, format="json"
    )
    assert_error(response, 409, "insufficient_quantity")
    assert events_since(mark) == []


def refund_action(client, row, reason):
    return client.post(
        "/admin/ledger/transaction/",
        {"action": "refund", "_selected_action": [row.pk], "apply": "Refund", "reason": reason},
    )


def test_a_refund_writes_purchase_refunded_and_a_refused_refund_writes_nothing(
    player, player_client, product
):
    support = staff_in(SUPPORT, username="sam")
    support_client = login(support)
    buy(player_client, product, quantity=3)
    player_client.post(f"/api/v1/products/{product.pk}/use", {"quantity": 1}, format="json")
    bought = Transaction.objects.get(kind=Kind.PURCHASE)
    mark = last_event_id()

    assert refund_action(support_client, bought, "Double charge").status_code == 302

    refund = Transaction.objects.get(kind=Kind.REFUND)
    [event] = events_since(mark)
    assert (event.type, event.user) == (EventType.PURCHASE_REFUNDED, player)
    payload = event.payload
    assert (payload["user_id"], payload["staff_id"]) == (player.pk, support.pk)
    assert payload["product"] == {"id": product.pk, "name": "Буст на день", "type": "consumable"}
    # The two units left, back at the price paid; none held now.
    assert {key: payload["transaction"][key] for key in ("id", "kind", "amount", "currency")} == {
        "id": refund.pk,
        "kind": "refund",
        "amount": 200,
        "currency": "coins",
    }
    assert (payload["transaction"]["refund_of_id"], payload["transaction"]["reason"]) == (
        bought.pk,
        "Double charge",
    )
    assert (payload["transaction"]["quantity"], payload["quantity_held"]) == (2, 0)
    assert (payload["currency"], payload["balance"], payload["available"]) == ("coins", 900, 900)
    assert balance_of(player) == 900

    mark = last_event_id()
    again = refund_action(support_client, bought, "Twice")
    texts = [str(message) for message in get_messages(again.wsgi_request)]
    assert f"#{bought.pk} not refunded: This purchase was already refunded." in texts
    assert events_since(mark) == []


# --- deposits, adjustments, spends ------------------------------------------------------------


def test_add_funds_writes_deposit_completed_and_a_replay_writes_no_second(backend_client, player):
    mark = last_event_id()
    first = post(backend_client, f"users/{player.pk}/add-funds", "topup-1", amount=250)
    again = post(backend_client, f"users/{player.pk}/add-funds", "topup-1", amount=250)

    assert first.status_code == 201, first.content
    assert again.content == first.content
    row = Transaction.objects.get(kind=Kind.DEPOSIT)
    [event] = events_since(mark)
    assert (event.type, event.user) == (EventType.DEPOSIT_COMPLETED, player)
    assert event.payload == {**first.json(), "user_id": player.pk}
    assert event.payload["transaction"]["id"] == row.pk
    assert (event.payload["transaction"]["amount"], event.payload["currency"]) == (250, "coins")
    assert (event.payload["transaction"]["debit"], event.payload["balance"]) == (
        "faucet:deposits",
        1250,
    )
    assert balance_of(player) == 1250


def test_a_refused_deposit_writes_nothing(backend_client, player):
    CurrencyFactory(code="gems", max_balance=100)
    mark = last_event_id()
    over_the_maximum = settings.ECONOMY_MAX_DEPOSIT + 1
    too_much = post(backend_client, f"users/{player.pk}/add-funds", "t-1", amount=over_the_maximum)
    assert_error(too_much, 400, "validation_error")
    over_the_limit = post(
        backend_client, f"users/{player.pk}/add-funds", "t-2", amount=101, currency="gems"
    )
    assert_error(over_the_limit, 409, "balance_limit_exceeded")
    assert events_since(mark) == []
    assert balance_of(player) == 1000


@pytest.mark.parametrize("amount, change, balance", [(250, 250, 1250), (-300, -300, 700)])
def test_a_support_adjustment_writes_balance_adjusted_with_reason_and_staff(
    player, amount, change, balance
):
    support = staff_in(SUPPORT, username="sam")
    mark = last_event_id()

    response = login(support).post(
        f"/admin/accounts/user/{player.pk}/grant-funds/",
        {"amount": amount, "currency": "coins", "reason": "Outage #12", "confirm": "Confirm"},
    )

    assert response.status_code == 302
    row = Transaction.objects.filter(user=player, kind=Kind.ADJUSTMENT).latest("id")
    [event] = events_since(mark)
    assert (event.type, event.user) == (EventType.BALANCE_ADJUSTED, player)
    payload = event.payload
    assert (payload["user_id"], payload["staff_id"], payload["change"]) == (
        player.pk,
        support.pk,
        change,
    )
    assert {key: payload["transaction"][key] for key in ("id", "amount", "currency", "reason")} == {
        "id": row.pk,
        "amount": abs(amount),
        "currency": "coins",
        "reason": "Outage #12",
    }
    assert (payload["balance"], payload["available"]) == (balance, balance)
    assert balance_of(player) == balance


def test_a_spend_writes_spend_completed_and_a_refused_one_writes_nothing(backend_client, player):
    mark = last_event_id()
    response = post(
        backend_client,
        f"users/{player.pk}/spend",
        "fee-1",
        amount=30,
        sink="sink:entry-fees",
        reason="Match 88",
    )
    replay = post(
        backend_client,
        f"users/{player.pk}/spend",
        "fee-1",
        amount=30,
        sink="sink:entry-fees",
        reason="Match 88",
    )

    assert response.status_code == 201, response.content
    assert replay.content == response.content
    [event] = events_since(mark)
    assert (event.type, event.user) == (EventType.SPEND_COMPLETED, player)
    assert event.payload == {**response.json(), "user_id": player.pk}
    spent = event.payload["transaction"]
    assert (spent["amount"], spent["currency"], spent["credit"], spent["reason"]) == (
        30,
        "coins",
        "sink:entry-fees",
        "Match 88",
    )
    assert event.payload["balance"] == balance_of(player) == 970

    mark = last_event_id()
    refused = post(backend_client, f"users/{player.pk}/spend", "fee-2", amount=971)
    assert_error(refused, 409, "insufficient_funds")
    assert Transaction.objects.filter(kind=Kind.SPEND, status=Status.FAILED).count() == 1
    assert events_since(mark) == []


# --- holds and transfers ----------------------------------------------------------------------


def test_a_hold_placed_then_captured_writes_one_event_each_with_the_hold_and_the_balance(
    backend_client, player
):
    mark = last_event_id()
    placed = post(backend_client, f"users/{player.pk}/holds", "h-1", amount=100, reference="m-1")
    hold_id = placed.json()["hold"]["id"]
    captured = post(backend_client, f"holds/{hold_id}/capture", "c-1", amount=60)
    again = post(backend_client, f"holds/{hold_id}/capture", "c-1", amount=60)

    assert (placed.status_code, captured.status_code) == (201, 200)
    assert again.content == captured.content
    placed_event, captured_event = events_since(mark)
    assert (placed_event.type, placed_event.user) == (EventType.HOLD_PLACED, player)
    assert placed_event.payload == {
        "hold": placed.json()["hold"],
        "balance": {"balance": 1000, "held": 100, "available": 900},
    }
    assert (captured_event.type, captured_event.user) == (EventType.HOLD_CAPTURED, player)
    assert captured_event.payload == {
        "hold": captured.json()["hold"],
        "balance": {"balance": 940, "held": 0, "available": 940},
    }
    hold = captured_event.payload["hold"]
    assert (hold["user_id"], hold["amount"], hold["currency"], hold["captured_amount"]) == (
        player.pk,
        100,
        "coins",
        60,
    )
    assert balance_of(player) == 940


def test_a_void_and_an_expiry_write_hold_voided_and_hold_expired(backend_client, player):
    first = post(backend_client, f"users/{player.pk}/holds", "h-1", amount=10).json()
    second = post(backend_client, f"users/{player.pk}/holds", "h-2", amount=20).json()
    mark = last_event_id()

    assert post(backend_client, f"holds/{first['hold']['id']}/void", "v-1").status_code == 200
    assert holds.expire_due_holds(now=timezone.now() + timedelta(hours=2)) == 1

    voided, expired = events_since(mark)
    assert (voided.type, voided.payload["hold"]["id"]) == (
        EventType.HOLD_VOIDED,
        first["hold"]["id"],
    )
    assert voided.payload["balance"] == {"balance": 1000, "held": 20, "available": 980}
    assert (expired.type, expired.payload["hold"]["id"]) == (
        EventType.HOLD_EXPIRED,
        second["hold"]["id"],
    )
    assert expired.payload["balance"] == {"balance": 1000, "held": 0, "available": 1000}
    assert {voided.user, expired.user} == {player}


def test_a_transfer_writes_transfer_completed_with_the_answer_itself(backend_client, player):
    gems = CurrencyFactory(code="gems")
    receiver = UserFactory()
    ledger.add_funds(user_id=player.pk, amount=50, currency=gems)
    mark = last_event_id()

    response = post_transfer(
        backend_client, from_user=player.pk, to_user=receiver.pk, currency="gems", amount=20
    )

    assert response.status_code == 201, response.content
    [event] = events_since(mark)
    assert (event.type, event.user) == (EventType.TRANSFER_COMPLETED, player)
    assert event.payload == response.json()
    assert (event.payload["sender"]["balance"], event.payload["receiver"]["balance"]) == (30, 20)
    assert (balance_of(player, "gems"), balance_of(receiver, "gems")) == (30, 20)


# --- rollbacks and concurrency ----------------------------------------------------------------


def _purchase(user, product):
    inventory.purchase_product(user_id=user.pk, product_id=product.pk, quantity=2)


def _refused_purchase(user, product):
    with pytest.raises(InsufficientFunds):
        inventory.purchase_product(user_id=user.pk, product_id=product.pk, quantity=11)


def _use(user, product):
    inventory.use_product(user_id=user.pk, product_id=product.pk)


def _refund(user, product):
    bought = Transaction.objects.filter(user=user, kind=Kind.PURCHASE).latest("id")
    inventory.refund_purchase(transaction_id=bought.pk, reason="x")


def _deposit(user, product):
    ledger.add_funds(user_id=user.pk, amount=5, currency=default_currency())


def _adjustment(user, product):
    ledger.adjust_balance(user_id=user.pk, amount=-5, currency=default_currency(), reason="x")


def _spend(user, product):
    ledger.spend(user_id=user.pk, amount=5, currency=default_currency())


def _hold(user, product):
    holds.place_hold(
        user_id=user.pk,
        amount=5,
        currency=default_currency(),
        expires_at=timezone.now() + timedelta(minutes=5),
    )


def _transfer(user, product):
    transfers.transfer_currency(
        from_user_id=user.pk,
        to_user_id=UserFactory().pk,
        currency=default_currency(),
        amount=5,
        actor=user,
        trusted=True,
    )


CHANGES = [
    _purchase,
    _refused_purchase,
    _use,
    _refund,
    _deposit,
    _adjustment,
    _spend,
    _hold,
    _transfer,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__.strip("_"))
def test_a_change_rolled_back_by_its_caller_leaves_no_event(player, product, change):
    inventory.purchase_product(user_id=player.pk, product_id=product.pk)
    before = (last_event_id(), Transaction.objects.count(), balance_of(player))

    with pytest.raises(Rollback), transaction.atomic():
        change(player, product)
        assert events_since(before[0]) != []  # written in the caller's transaction...
        raise Rollback

    # ...and gone with it, as the change is.
    assert (last_event_id(), Transaction.objects.count(), balance_of(player)) == before
    assert events_since(before[0]) == []


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__.strip("_"))
def test_an_event_costs_one_insert_built_from_what_the_service_holds(player, product, change):
    """No read for the payload: the statement before the event's INSERT is the change's own
    write (for a use, the read of the units left, which the answer needs anyway)."""
    inventory.purchase_product(user_id=player.pk, product_id=product.pk)
    with CaptureQueriesContext(connection) as queries:
        change(player, product)
    statements = [query["sql"] for query in queries]
    [at] = [n for n, sql in enumerate(statements) if sql.startswith('INSERT INTO "events_event"')]
    before = statements[at - 1]
    if change is _use:
        assert before.startswith('SELECT "inventory_inventoryitem"."quantity"'), before
    else:
        assert before.startswith(("INSERT", "UPDATE")), before


@pytest.mark.django_db(transaction=True)
def test_concurrent_purchases_write_one_event_per_completed_and_per_failed_row(product):
    buyer = UserFactory(funds=500)  # five units of the product's 100
    clients = [client_for(buyer) for _ in range(12)]
    mark = last_event_id()

    responses = run_concurrently(lambda client: purchase(client, product), [(c,) for c in clients])

    assert sorted(response.status_code for response in responses) == [201] * 5 + [409] * 7
    rows = Transaction.objects.filter(kind=Kind.PURCHASE)
    completed = set(rows.filter(status=Status.COMPLETED).values_list("pk", flat=True))
    failed = set(rows.filter(status=Status.FAILED).values_list("pk", flat=True))
    events = events_since(mark)
    done = [e for e in events if e.type == EventType.PURCHASE_COMPLETED]
    refused = [e for e in events if e.type == EventType.PURCHASE_REFUSED]
    assert len(events) == len(done) + len(refused)
    assert {e.payload["transaction"]["id"] for e in done} == completed
    assert {e.payload["transaction"]["id"] for e in refused} == failed
    assert (len(done), len(refused)) == (len(completed), len(failed)) == (5, 7)
    # Each completed purchase saw the balance its own row left: the locked wallet, in step.
    assert sorted(e.payload["balance"] for e in done) == [0, 100, 200, 300, 400]
    assert sorted(e.payload["quantity_held"] for e in done) == [1, 2, 3, 4, 5]
    assert {e.payload["balance"] for e in refused} == {0}
    assert balance_of(buyer) == 0
    assert_ledger_consistent()
