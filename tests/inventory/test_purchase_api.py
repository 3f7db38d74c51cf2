from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from economy.catalog.models import Currency
from economy.inventory.models import InventoryItem
from economy.ledger import holds
from economy.ledger import services as ledger
from economy.ledger.models import Kind, Status, SystemWallet, Transaction
from tests.factories import CurrencyFactory, PermanentProductFactory, ProductFactory, UserFactory
from tests.support.api import purchase
from tests.support.ledger import assert_ledger_consistent, balance_of, system_balance, wallet_of

pytestmark = pytest.mark.django_db


def test_purchase_debits_adds_to_inventory_and_writes_a_completed_row(
    player, player_client, product
):
    response = purchase(player_client, product, quantity=3)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "transaction",
        "quantity_held",
        "expires_at",
        "granted_items",
        "rewards",
        "currency",
        "balance",
        "held",
        "available",
        "balances",
    }
    assert (body["expires_at"], body["granted_items"], body["rewards"]) == (None, [], [])
    assert body["balances"] == {"coins": {"balance": 700, "held": 0, "available": 700}}
    assert (body["currency"], body["balance"], body["held"], body["available"]) == (
        "coins",
        700,
        0,
        700,
    )
    assert body["quantity_held"] == 3
    shown = body["transaction"]
    assert (shown["kind"], shown["status"], shown["currency"]) == ("purchase", "completed", "coins")
    assert (shown["amount"], shown["quantity"], shown["unit_price"]) == (300, 3, 100)
    assert (shown["debit"], shown["credit"]) == (f"player:{player.pk}", "sink:store")
    assert (shown["product_id"], shown["product_name"]) == (product.pk, "Буст на день")
    assert balance_of(player) == 700
    assert InventoryItem.objects.get(user=player, product=product).quantity == 3
    row = Transaction.objects.get(user=player, kind=Kind.PURCHASE)
    assert row.pk == shown["id"]
    assert (row.status, row.amount, row.quantity, row.unit_price) == (Status.COMPLETED, 300, 3, 100)
    assert (row.debit_wallet, row.credit_wallet.name) == (wallet_of(player), SystemWallet.STORE)
    assert system_balance(SystemWallet.STORE) == 300
    assert_ledger_consistent()


def test_consumables_stack(player, player_client, product):
    purchase(player_client, product, quantity=2)
    purchase(player_client, product)
    assert InventoryItem.objects.get(user=player, product=product).quantity == 3


def test_quantity_defaults_to_one(player, player_client, product):
    assert purchase(player_client, product).json()["quantity_held"] == 1


def test_second_purchase_of_permanent_is_409_already_owned(player, player_client, permanent):
    assert purchase(player_client, permanent).status_code == 201
    response = purchase(player_client, permanent)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_owned"
    assert balance_of(player) == 500
    assert InventoryItem.objects.get(user=player, product=permanent).quantity == 1
    failed = Transaction.objects.get(user=player, status=Status.FAILED)
    assert failed.failure_reason == "already_owned"
    assert_ledger_consistent()


def test_permanent_bought_several_at_once_is_409(player, player_client, permanent):
    response = purchase(player_client, permanent, quantity=2)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "quantity_not_allowed"
    assert not Transaction.objects.filter(kind=Kind.PURCHASE).exists()


def test_inactive_product_is_409_product_unavailable(player, player_client):
    product = ProductFactory(is_active=False)
    response = purchase(player_client, product)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "product_unavailable"
    assert balance_of(player) == 1000
    assert not InventoryItem.objects.exists()


def test_a_product_priced_in_an_inactive_currency_is_409_product_unavailable(player, player_client):
    retired = CurrencyFactory(code="tokens", is_active=False)
    product = ProductFactory(price_currency=retired)
    response = purchase(player_client, product)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "product_unavailable"
    assert not InventoryItem.objects.exists()
    assert not Transaction.objects.filter(kind=Kind.PURCHASE).exists()


def test_insufficient_funds_is_409_with_a_failed_row_and_nothing_else(player, player_client):
    expensive = PermanentProductFactory(price=1001)
    response = purchase(player_client, expensive)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "insufficient_funds"
    assert error["details"] == {"currency": "coins", "available": 1000, "required": 1001}
    assert balance_of(player) == 1000
    assert not InventoryItem.objects.exists()
    failed = Transaction.objects.get(user=player, kind=Kind.PURCHASE)
    assert (failed.status, failed.failure_reason, failed.amount) == (
        Status.FAILED,
        "insufficient_funds",
        1001,
    )
    # The failed row names the movement that was refused, and moved nothing.
    assert (failed.debit_wallet, failed.credit_wallet.name) == (
        wallet_of(player),
        SystemWallet.STORE,
    )
    assert system_balance(SystemWallet.STORE) == 0
    assert_ledger_consistent()


def test_a_product_is_paid_from_the_wallet_of_its_currency_only(player, player_client):
    gems = CurrencyFactory(code="gems")
    ledger.add_funds(user_id=player.pk, amount=40, currency=gems)
    crystal = ProductFactory(price=30, price_currency=gems)
    body = purchase(player_client, crystal).json()
    assert (body["currency"], body["balance"], body["available"]) == ("gems", 10, 10)
    assert (body["transaction"]["currency"], body["transaction"]["amount"]) == ("gems", 30)
    assert (balance_of(player, "gems"), balance_of(player)) == (10, 1000)
    # Coins are plenty, but the price is in gems.
    refused = purchase(player_client, crystal)
    assert refused.status_code == 409
    assert refused.json()["error"]["details"] == {
        "currency": "gems",
        "available": 10,
        "required": 30,
    }
    assert (balance_of(player, "gems"), balance_of(player)) == (10, 1000)
    assert InventoryItem.objects.get(user=player, product=crystal).quantity == 1
    assert system_balance(SystemWallet.STORE, "gems") == 30
    assert_ledger_consistent()


def test_held_currency_cannot_pay_for_a_purchase(player, player_client):
    """What may be spent is `available`: balance - held."""
    holds.place_hold(
        user_id=player.pk,
        amount=950,
        currency=wallet_of(player).currency,
        expires_at=timezone.now() + timedelta(hours=1),
    )
    response = purchase(player_client, ProductFactory(price=100))
    assert response.status_code == 409
    assert response.json()["error"]["details"] == {
        "currency": "coins",
        "available": 50,
        "required": 100,
    }
    body = purchase(player_client, ProductFactory(price=50)).json()
    assert (body["balance"], body["held"], body["available"]) == (950, 950, 0)
    assert_ledger_consistent()


def test_exact_balance_can_be_spent_to_zero(player, player_client):
    product = ProductFactory(price=250)
    assert purchase(player_client, product, quantity=4).json()["balance"] == 0
    assert purchase(player_client, product).json()["error"]["code"] == "insufficient_funds"


def test_unknown_product_is_404_and_changes_nothing(player, player_client):
    response = player_client.post("/api/v1/products/987654/purchase", {}, format="json")
    assert response.status_code == 404
    assert not Transaction.objects.filter(kind=Kind.PURCHASE).exists()


@pytest.mark.parametrize("quantity", [0, -1, "2", 1.5, True, None, 10**30, 1001, [1], {"n": 1}])
def test_bad_quantities_are_400_and_change_nothing(player, player_client, product, quantity):
    response = purchase(player_client, product, quantity=quantity)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert balance_of(player) == 1000
    assert not Transaction.objects.filter(kind=Kind.PURCHASE).exists()


def test_player_cannot_buy_for_someone_else(player, player_client, product):
    other = UserFactory(funds=1000)
    response = purchase(player_client, product, user_id=other.pk)
    assert response.status_code == 403
    assert (balance_of(other), balance_of(player)) == (1000, 1000)
    assert not InventoryItem.objects.exists()


def test_a_trusted_backend_buys_for_a_player(backend, backend_client, player, product):
    response = purchase(backend_client, product, user_id=player.pk, quantity=2)
    assert response.status_code == 201
    assert response.json()["transaction"]["debit"] == f"player:{player.pk}"
    assert balance_of(player) == 800
    assert InventoryItem.objects.get(user=player).quantity == 2
    assert not Transaction.objects.filter(user=backend).exists()


def test_read_only_fields_in_the_body_are_ignored(player, player_client, product):
    response = purchase(player_client, product, price=1, balance=10**6, status="failed")
    assert response.status_code == 201
    assert response.json()["transaction"]["amount"] == 100
    assert balance_of(player) == 900


def test_a_price_change_never_alters_past_rows(player, player_client, product):
    purchase(player_client, product)
    product.price = 999
    product.save()
    row = Transaction.objects.get(user=player, kind=Kind.PURCHASE)
    assert (row.unit_price, row.amount) == (100, 100)


def test_purchase_costs_at_most_10_queries_whatever_the_inventory_holds(
    make_client, product, django_assert_max_num_queries
):
    player_client = make_client(UserFactory(funds=100_000))
    for other in ProductFactory.create_batch(30):
        purchase(player_client, other)
    PermanentProductFactory.create_batch(5)
    with django_assert_max_num_queries(10):
        assert purchase(player_client, product).status_code == 201
    headers = {"HTTP_IDEMPOTENCY_KEY": "counted"}
    with django_assert_max_num_queries(10):
        response = player_client.post(
            f"/api/v1/products/{product.pk}/purchase", {}, format="json", **headers
        )
        assert response.status_code == 201


def test_a_purchase_sends_four_statements_once_the_catalog_is_cached(player_client, product):
    """Lock the wallet, add the units, write the ledger row and the event: the inventory row is
    never read for a consumable, and the system wallet's id is remembered
    (economy/ledger/services.py)."""
    purchase(player_client, product)
    with CaptureQueriesContext(connection) as queries:
        assert purchase(player_client, product).status_code == 201
    statements = [" ".join(q["sql"].split()[:3]) for q in queries]
    assert statements == [
        "SELECT id, owner_id,",  # the wallet, FOR NO KEY UPDATE
        "INSERT INTO inventory_inventoryitem",  # ON CONFLICT: add to the row
        'INSERT INTO "ledger_transaction"',
        'INSERT INTO "events_event"',  # purchase.completed, built from what is in memory
    ]


def test_a_purchase_never_reads_the_currency_it_already_has(player_client, product):
    """The product comes from the catalog cache with its price currency loaded: the wallets,
    the ledger row and the answer all use that one object."""
    purchase(player_client, product)  # the product and its currency are cached from here
    with CaptureQueriesContext(connection) as queries:
        assert purchase(player_client, product).status_code == 201
    currency_reads = [q["sql"] for q in queries if Currency._meta.db_table in q["sql"]]
    assert currency_reads == []


def test_the_dearest_product_in_the_largest_quantity_is_a_clean_409(player, player_client):
    from economy.catalog.models import MAX_PRICE

    dearest = ProductFactory(price=MAX_PRICE)
    response = purchase(player_client, dearest, quantity=1000)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "insufficient_funds"
    failed = Transaction.objects.get(user=player, status=Status.FAILED)
    assert failed.amount == MAX_PRICE * 1000
