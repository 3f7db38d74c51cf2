"""Transfers raced by real threads on real PostgreSQL connections: opposite directions at the same
moment never deadlock, money and items are never lost or created, the last unit moves once, and
parallel gifts never exceed the daily limit."""

import uuid

import pytest

from economy.events.models import Event
from economy.inventory import services as inventory
from economy.inventory.models import InventoryItem
from economy.ledger import services as ledger
from economy.transfers.models import Transfer
from tests.factories import CurrencyFactory, PermanentProductFactory, ProductFactory, UserFactory
from tests.support.api import client_for, grant
from tests.support.concurrency import run_concurrently
from tests.support.ledger import assert_ledger_consistent, balance_of
from tests.support.transfers import post_transfer

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 30


def _send(client, **body):
    response = post_transfer(client, key=uuid.uuid4().hex, **body)
    return response.status_code, response.json()


@pytest.fixture
def backend_clients():
    """clients(n): n API clients of one trusted backend, one per thread."""
    backend = grant(UserFactory(username=f"backend-{uuid.uuid4().hex[:6]}"), "add_funds")
    return lambda n: [client_for(backend) for _ in range(n)]


def test_opposite_currency_transfers_at_the_same_moment_never_deadlock(backend_clients):
    gems = CurrencyFactory(code="gems")
    players = [UserFactory() for _ in range(3)]
    for player in players:
        ledger.add_funds(user_id=player.pk, amount=10_000, currency=gems)
    a, b, c = players
    # Both directions between A and B, twice each, and a cycle A -> B -> C -> A, every round.
    pairs = [(a, b), (b, a), (a, b), (b, a), (b, c), (c, a)]
    clients = backend_clients(len(pairs))

    statuses = []
    for n in range(ROUNDS):
        results = run_concurrently(
            lambda client, sender, receiver, amount: _send(
                client, from_user=sender.pk, to_user=receiver.pk, currency="gems", amount=amount
            ),
            [
                (client, sender, receiver, 1 + (n + i) % 7)
                for i, (client, (sender, receiver)) in enumerate(zip(clients, pairs, strict=True))
            ],
        )
        statuses += [status for status, _ in results]

    assert statuses == [201] * (ROUNDS * len(pairs)), sorted(set(statuses))
    # Money is conserved: between them the three still hold all of it, and the books agree.
    assert sum(balance_of(player, "gems") for player in players) == 30_000
    assert (
        Transfer.objects.count()
        == Event.objects.filter(type="transfer.completed").count()
        == ROUNDS * len(pairs)
    )
    assert_ledger_consistent()


def test_opposite_item_transfers_at_the_same_moment_never_deadlock(backend_clients):
    a, b = UserFactory(funds=10_000), UserFactory(funds=10_000)
    potion = ProductFactory(price=1)
    for player in (a, b):
        inventory.purchase_product(user_id=player.pk, product_id=potion.pk, quantity=500)

    clients = backend_clients(4)
    statuses = []
    for _ in range(ROUNDS):
        results = run_concurrently(
            lambda client, pair: _send(
                client, from_user=pair[0].pk, to_user=pair[1].pk, product=potion.pk
            ),
            list(zip(clients, [(a, b), (b, a), (a, b), (b, a)], strict=True)),
        )
        statuses += [status for status, _ in results]

    assert statuses == [201] * (ROUNDS * 4), sorted(set(statuses))
    held = InventoryItem.objects.filter(product=potion).values_list("user_id", "quantity")
    assert dict(held) == {a.pk: 500, b.pk: 500}
    assert Transfer.objects.filter(product=potion).count() == ROUNDS * 4


def test_parallel_sends_of_the_last_unit_succeed_once(backend_clients):
    sender = UserFactory(funds=100)
    potion = ProductFactory(price=10)
    inventory.purchase_product(user_id=sender.pk, product_id=potion.pk)
    receivers = [UserFactory() for _ in range(12)]

    results = run_concurrently(
        lambda client, receiver: _send(
            client, from_user=sender.pk, to_user=receiver.pk, product=potion.pk
        ),
        list(zip(backend_clients(12), receivers, strict=True)),
    )

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 11, results
    assert {body["error"]["code"] for status, body in results if status == 409} == {
        "not_in_inventory"
    }
    assert sum(InventoryItem.objects.filter(product=potion).values_list("quantity", flat=True)) == 1
    assert Transfer.objects.count() == Event.objects.filter(type="transfer.completed").count() == 1


def test_parallel_sends_of_the_last_currency_succeed_once(backend_clients):
    gems = CurrencyFactory(code="gems")
    sender = UserFactory()
    ledger.add_funds(user_id=sender.pk, amount=100, currency=gems)
    receivers = [UserFactory() for _ in range(12)]

    results = run_concurrently(
        lambda client, receiver: _send(
            client, from_user=sender.pk, to_user=receiver.pk, currency="gems", amount=100
        ),
        list(zip(backend_clients(12), receivers, strict=True)),
    )

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 11, results
    assert balance_of(sender, "gems") == 0
    assert sum(balance_of(receiver, "gems") for receiver in receivers) == 100
    assert_ledger_consistent()


def test_parallel_gifts_of_a_permanent_to_one_player_land_once(backend_clients):
    skin = PermanentProductFactory(price=10)
    senders = [UserFactory(funds=10) for _ in range(8)]
    for sender in senders:
        inventory.purchase_product(user_id=sender.pk, product_id=skin.pk)
    receiver = UserFactory()

    results = run_concurrently(
        lambda client, sender: _send(
            client, from_user=sender.pk, to_user=receiver.pk, product=skin.pk
        ),
        list(zip(backend_clients(8), senders, strict=True)),
    )

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 7, results
    assert {body["error"]["code"] for status, body in results if status == 409} == {"already_owned"}
    assert InventoryItem.objects.get(user=receiver, product=skin).quantity == 1
    # The seven refused senders still hold theirs.
    assert sum(InventoryItem.objects.filter(product=skin).values_list("quantity", flat=True)) == 8


def test_a_gift_racing_a_purchase_of_the_same_permanent_lands_once(backend_clients):
    skin = PermanentProductFactory(price=10)
    [backend_client] = backend_clients(1)

    def gift(sender, buyer):
        return _send(backend_client, from_user=sender.pk, to_user=buyer.pk, product=skin.pk)[0]

    def buy(client):
        return client.post(f"/api/v1/products/{skin.pk}/purchase", {}, format="json").status_code

    for _ in range(10):
        sender, buyer = UserFactory(funds=10), UserFactory(funds=10)
        inventory.purchase_product(user_id=sender.pk, product_id=skin.pk)

        gifted, bought = run_concurrently(
            lambda action, *args: action(*args), [(gift, sender, buyer), (buy, client_for(buyer))]
        )

        assert sorted([gifted, bought]) == [201, 409], (gifted, bought)
        assert InventoryItem.objects.get(user=buyer, product=skin).quantity == 1
        # The buyer paid only if its purchase is the one that landed.
        assert balance_of(buyer) == (0 if bought == 201 else 10)
    assert_ledger_consistent()


def test_parallel_gifts_never_exceed_the_daily_limit():
    gems = CurrencyFactory(code="gems", is_giftable=True, daily_transfer_limit=500)
    sender = UserFactory()
    ledger.add_funds(user_id=sender.pk, amount=5_000, currency=gems)
    receivers = [UserFactory() for _ in range(4)]
    clients = [client_for(sender) for _ in range(20)]

    results = run_concurrently(
        lambda client, receiver: _send(
            client, from_user=sender.pk, to_user=receiver.pk, currency="gems", amount=100
        ),
        [(client, receivers[n % 4]) for n, client in enumerate(clients)],
    )

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 5 + [409] * 15, results
    refusals = [body["error"] for status, body in results if status == 409]
    assert {(e["code"], e["details"]["reason"]) for e in refusals} == {
        ("not_transferable", "daily_limit_reached")
    }
    assert all(e["details"]["sent_today"] == 500 for e in refusals)
    assert balance_of(sender, "gems") == 4_500
    assert sum(t.amount for t in Transfer.objects.filter(from_user=sender)) == 500
    assert_ledger_consistent()


def test_parallel_duplicates_under_one_key_transfer_once(backend_clients):
    gems = CurrencyFactory(code="gems")
    sender, receiver = UserFactory(), UserFactory()
    ledger.add_funds(user_id=sender.pk, amount=1_000, currency=gems)
    body = {"from_user": sender.pk, "to_user": receiver.pk, "currency": "gems", "amount": 70}

    responses = run_concurrently(
        lambda client: post_transfer(client, key="trade-7", **body),
        [(client,) for client in backend_clients(8)],
    )

    assert {response.status_code for response in responses} == {201}, [
        (r.status_code, r.content) for r in responses
    ]
    assert len({response.content for response in responses}) == 1
    assert (balance_of(sender, "gems"), balance_of(receiver, "gems")) == (930, 70)
    assert Transfer.objects.count() == Event.objects.filter(type="transfer.completed").count() == 1
    assert_ledger_consistent()
