"""Concurrent money moves on real PostgreSQL connections: nothing overspent, lost or doubled."""

import pytest

from economy.inventory.models import InventoryItem
from economy.ledger.models import Kind, Status, SystemWallet, Transaction, Wallet
from tests.factories import PermanentProductFactory, ProductFactory, UserFactory
from tests.support.api import client_for
from tests.support.concurrency import run_concurrently
from tests.support.ledger import assert_ledger_consistent, balance_of, system_balance

pytestmark = pytest.mark.django_db(transaction=True)


def _post(token_client, path, body, headers=None):
    response = token_client.post(path, body, format="json", **(headers or {}))
    return response.status_code, response.json()


def test_fifty_parallel_purchases_with_funds_for_k_succeed_exactly_k_times():
    k, price = 17, 30
    player = UserFactory(funds=k * price)
    product = ProductFactory(price=price)
    clients = [client_for(player) for _ in range(50)]
    path = f"/api/v1/products/{product.pk}/purchase"

    results = run_concurrently(lambda c: _post(c, path, {"quantity": 1}), [(c,) for c in clients])

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * k + [409] * (50 - k), results
    assert {body["error"]["code"] for status, body in results if status == 409} == {
        "insufficient_funds"
    }
    # Each success saw the wallet as the one before it left it: no lost update.
    assert sorted(body["balance"] for status, body in results if status == 201) == [
        price * n for n in range(k)
    ]
    assert balance_of(player) == 0
    assert system_balance(SystemWallet.STORE) == k * price
    assert InventoryItem.objects.get(user=player, product=product).quantity == k
    completed = Transaction.objects.filter(kind=Kind.PURCHASE, status=Status.COMPLETED)
    assert completed.count() == k
    assert Transaction.objects.filter(kind=Kind.PURCHASE, status=Status.FAILED).count() == 50 - k
    assert_ledger_consistent()


def test_parallel_purchases_of_one_permanent_item_succeed_once():
    player = UserFactory(funds=10_000)
    permanent = PermanentProductFactory(price=500)
    path = f"/api/v1/products/{permanent.pk}/purchase"

    results = run_concurrently(
        lambda c: _post(c, path, {}), [(client_for(player),) for _ in range(20)]
    )

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 19, results
    assert {body["error"]["code"] for status, body in results if status == 409} == {"already_owned"}
    assert balance_of(player) == 9_500
    assert InventoryItem.objects.get(user=player, product=permanent).quantity == 1
    assert_ledger_consistent()


def test_parallel_uses_of_the_last_unit_succeed_once():
    player = UserFactory(funds=100)
    product = ProductFactory(price=100)
    client = client_for(player)
    assert _post(client, f"/api/v1/products/{product.pk}/purchase", {})[0] == 201
    path = f"/api/v1/products/{product.pk}/use"

    results = run_concurrently(
        lambda c: _post(c, path, {}), [(client_for(player),) for _ in range(20)]
    )

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * 19, results
    assert InventoryItem.objects.get(user=player, product=product).quantity == 0
    assert_ledger_consistent()


def test_twenty_parallel_add_funds_with_one_key_credit_exactly_once(backend):
    player = UserFactory()
    path = f"/api/v1/users/{player.pk}/add-funds"
    headers = {"HTTP_IDEMPOTENCY_KEY": "payment-42"}

    results = run_concurrently(
        lambda c: _post(c, path, {"amount": 700}, headers),
        [(client_for(backend),) for _ in range(20)],
    )

    assert {status for status, _ in results} <= {201, 409}, results
    bodies = {str(body) for status, body in results if status == 201}
    assert len(bodies) == 1, "every success must be the replay of one deposit"
    assert balance_of(player) == 700
    assert system_balance(SystemWallet.DEPOSITS) == -700
    assert Transaction.objects.filter(user=player, kind=Kind.DEPOSIT).count() == 1
    assert_ledger_consistent()


def test_purchases_and_deposits_interleaved_across_users_keep_every_ledger_right(backend):
    players = [UserFactory(funds=1_000) for _ in range(5)]
    products = [ProductFactory(price=70), PermanentProductFactory(price=300)]
    calls = []
    for index in range(60):
        player = players[index % 5]
        if index % 4 == 0:
            calls.append(
                (
                    client_for(backend),
                    f"/api/v1/users/{player.pk}/add-funds",
                    {"amount": 50},
                    {"HTTP_IDEMPOTENCY_KEY": f"dep-{index}"},
                )
            )
        else:
            product = products[index % 2]
            calls.append((client_for(player), f"/api/v1/products/{product.pk}/purchase", {}, {}))

    results = run_concurrently(_post, calls)

    assert all(not isinstance(r, Exception) and r[0] in (200, 201, 409) for r in results), results
    assert_ledger_consistent()
    for player in players:
        wallet = Wallet.objects.get(owner=player)
        assert wallet.balance >= 0 and wallet.held == 0
    # Every deposit went through (none is refused), and each purchase either paid or failed.
    assert Transaction.objects.filter(kind=Kind.DEPOSIT, status=Status.COMPLETED).count() == 15
    purchases = Transaction.objects.filter(kind=Kind.PURCHASE)
    assert purchases.count() == 45
    assert system_balance(SystemWallet.STORE) == sum(
        row.amount for row in purchases.filter(status=Status.COMPLETED)
    )
