"""Bundles: a product that grants currencies and other products, delivered with it or not at
all, and refunded by taking back what it gave."""

import pytest

from economy.catalog import services as catalog
from economy.catalog.models import CurrencyGrant, ItemGrant
from economy.common.exceptions import (
    AlreadyOwned,
    BalanceLimitExceeded,
    NotRefundable,
    ProductUnavailable,
)
from economy.events.models import Event, EventType
from economy.inventory import services
from economy.inventory.models import Delivery, InventoryItem
from economy.ledger import services as ledger
from economy.ledger.models import Kind, Status, SystemWallet, Transaction
from tests.factories import CurrencyFactory, PermanentProductFactory, ProductFactory
from tests.support.api import assert_error, client_for, inventory, purchase
from tests.support.ledger import assert_ledger_consistent, balance_of, snapshot, system_balance

pytestmark = pytest.mark.django_db


@pytest.fixture
def gems():
    return CurrencyFactory(code="gems", max_balance=1_000)


@pytest.fixture
def boost():
    return ProductFactory(name="Boost", price=10)


@pytest.fixture
def skin():
    return PermanentProductFactory(name="Golden skin", price=400)


@pytest.fixture
def starter_pack(gems, boost, skin):
    """250 coins: 100 gems, 3 boosts and the golden skin."""
    pack = PermanentProductFactory(name="Starter pack", price=250)
    CurrencyGrant.objects.create(bundle=pack, currency=gems, amount=100)
    ItemGrant.objects.create(bundle=pack, product=boost, quantity=3)
    ItemGrant.objects.create(bundle=pack, product=skin, quantity=1)
    return pack


def held(user, product):
    item = InventoryItem.objects.filter(user=user, product=product).first()
    return item.quantity if item else 0


def test_a_bundle_delivers_its_currencies_and_items_with_the_debit(
    player, starter_pack, gems, boost, skin
):
    result = services.purchase_product(user_id=player.pk, product_id=starter_pack.pk)

    assert balance_of(player) == 750
    assert balance_of(player, "gems") == 100
    assert (held(player, starter_pack), held(player, boost), held(player, skin)) == (1, 3, 1)
    [reward] = result.rewards
    assert (reward.kind, reward.amount, reward.currency, reward.product) == (
        Kind.REWARD,
        100,
        gems,
        starter_pack,
    )
    assert reward.debit_wallet.name == SystemWallet.REWARDS
    assert system_balance(SystemWallet.REWARDS, "gems") == -100
    assert [(d.product.name, d.quantity) for d in result.granted_items] == [
        ("Boost", 3),
        ("Golden skin", 1),
    ]
    deliveries = Delivery.objects.filter(purchase=result.transaction)
    assert {(d.product_id, d.quantity, d.reward_id) for d in deliveries} == {
        (boost.pk, 3, None),
        (skin.pk, 1, None),
        (None, None, reward.pk),
    }
    assert_ledger_consistent()


def test_the_api_shows_what_a_bundle_delivered_and_every_balance(
    player, player_client, starter_pack, boost
):
    response = purchase(player_client, starter_pack)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["quantity_held"] == 1
    assert [(i["name"], i["quantity"], i["quantity_held"]) for i in body["granted_items"]] == [
        ("Boost", 3, 3),
        ("Golden skin", 1, 1),
    ]
    [reward] = body["rewards"]
    assert (reward["kind"], reward["amount"], reward["currency"], reward["debit"]) == (
        "reward",
        100,
        "gems",
        "faucet:rewards",
    )
    assert body["balances"] == {
        "coins": {"balance": 750, "held": 0, "available": 750},
        "gems": {"balance": 100, "held": 0, "available": 100},
    }
    [event] = Event.objects.filter(type=EventType.PURCHASE_COMPLETED)
    assert event.payload["granted_items"] == body["granted_items"]
    assert event.payload["rewards"] == body["rewards"]
    names = {c["product"]["name"] for c in inventory(player_client, player).json()["consumables"]}
    assert names == {"Boost"}


def test_a_granted_permanent_already_owned_is_skipped_and_the_rest_delivered(
    player, starter_pack, boost, skin
):
    services.purchase_product(user_id=player.pk, product_id=skin.pk)

    result = services.purchase_product(user_id=player.pk, product_id=starter_pack.pk)

    assert [d.product.name for d in result.granted_items] == ["Boost"]
    assert (held(player, skin), held(player, boost)) == (1, 3)
    assert not Delivery.objects.filter(purchase=result.transaction, product=skin).exists()
    assert balance_of(player) == 1000 - 400 - 250


def test_a_bundle_is_refused_before_payment_when_a_granted_currency_would_pass_its_maximum(
    player, starter_pack, gems, boost
):
    services.purchase_product(user_id=player.pk, product_id=starter_pack.pk)
    pack_again = PermanentProductFactory(name="Gem chest", price=10)
    CurrencyGrant.objects.create(bundle=pack_again, currency=gems, amount=901)
    ItemGrant.objects.create(bundle=pack_again, product=boost, quantity=1)
    with pytest.raises(BalanceLimitExceeded):
        services.purchase_product(user_id=player.pk, product_id=pack_again.pk)

    # Nothing delivered, nothing paid: only the refusal is kept.
    assert (balance_of(player), balance_of(player, "gems")) == (750, 100)
    assert held(player, boost) == 3 and held(player, pack_again) == 0
    failed = Transaction.objects.get(product=pack_again, status=Status.FAILED)
    assert failed.failure_reason == "balance_limit_exceeded"
    assert_ledger_consistent()


def test_a_bundle_priced_in_the_currency_it_grants_counts_the_price_against_the_maximum(player):
    gems = CurrencyFactory(code="gems", max_balance=150)
    exchange = ProductFactory(name="Gem exchange", price=100, price_currency=gems)
    CurrencyGrant.objects.create(bundle=exchange, currency=gems, amount=120)
    ledger.adjust_balance(user_id=player.pk, amount=120, currency=gems, reason="test")

    result = services.purchase_product(user_id=player.pk, product_id=exchange.pk)

    # 120 - 100 + 120 = 140: within 150 although 120 + 120 would not be.
    assert result.wallet.balance == 140 == balance_of(player, "gems")
    assert_ledger_consistent()


def test_bundles_nest_and_their_grants_multiply(player, gems, boost):
    inner = ProductFactory(name="Boost box", price=1)
    ItemGrant.objects.create(bundle=inner, product=boost, quantity=2)
    CurrencyGrant.objects.create(bundle=inner, currency=gems, amount=5)
    outer = ProductFactory(name="Big box", price=10)
    ItemGrant.objects.create(bundle=outer, product=inner, quantity=3)

    services.purchase_product(user_id=player.pk, product_id=outer.pk, quantity=2)

    assert (held(player, outer), held(player, inner), held(player, boost)) == (2, 6, 12)
    assert balance_of(player, "gems") == 30
    assert_ledger_consistent()


def test_a_refused_bundle_delivers_nothing(player, starter_pack, boost):
    services.purchase_product(user_id=player.pk, product_id=starter_pack.pk)

    with pytest.raises(AlreadyOwned):
        services.purchase_product(user_id=player.pk, product_id=starter_pack.pk)

    assert held(player, boost) == 3
    assert balance_of(player, "gems") == 100


def test_refunding_a_bundle_takes_back_its_currencies_and_the_items_still_held(
    player, starter_pack, gems, boost, skin
):
    bought = services.purchase_product(user_id=player.pk, product_id=starter_pack.pk)
    services.use_product(user_id=player.pk, product_id=boost.pk, quantity=2)

    refund = services.refund_purchase(transaction_id=bought.transaction.pk, reason="Unhappy")

    assert refund.amount == 250 and balance_of(player) == 1000
    assert balance_of(player, "gems") == 0
    assert (held(player, starter_pack), held(player, boost), held(player, skin)) == (0, 0, 0)
    [take_back] = Transaction.objects.filter(kind=Kind.REFUND, currency=gems)
    assert take_back.refund_of == bought.rewards[0]
    assert take_back.credit_wallet.name == SystemWallet.REWARDS
    assert system_balance(SystemWallet.REWARDS, "gems") == 0
    assert_ledger_consistent()


def test_a_bundle_whose_currency_was_spent_is_not_refunded(player, starter_pack, gems):
    bought = services.purchase_product(user_id=player.pk, product_id=starter_pack.pk)
    ledger.spend(user_id=player.pk, amount=30, currency=gems)
    before = snapshot()

    with pytest.raises(NotRefundable) as refused:
        services.refund_purchase(transaction_id=bought.transaction.pk, reason="Unhappy")

    assert "spent the gems" in refused.value.message
    assert refused.value.details["required"] == 100
    assert snapshot() == before
    assert held(player, starter_pack) == 1


def test_a_bundle_is_refunded_once_even_with_its_rewards(player, starter_pack):
    bought = services.purchase_product(user_id=player.pk, product_id=starter_pack.pk)
    services.refund_purchase(transaction_id=bought.transaction.pk, reason="Unhappy")

    with pytest.raises(NotRefundable):
        services.refund_purchase(transaction_id=bought.transaction.pk, reason="Again")

    assert Transaction.objects.filter(kind=Kind.REFUND).count() == 2  # the price, the gems
    assert_ledger_consistent()


def test_the_refund_skips_a_granted_permanent_that_was_never_delivered(player, starter_pack, skin):
    services.purchase_product(user_id=player.pk, product_id=skin.pk)
    bought = services.purchase_product(user_id=player.pk, product_id=starter_pack.pk)

    services.refund_purchase(transaction_id=bought.transaction.pk, reason="Unhappy")

    assert held(player, skin) == 1  # bought on its own, before the pack


def test_the_product_list_shows_what_a_bundle_grants(player_client, starter_pack, boost):
    body = player_client.get(f"/api/v1/products/{starter_pack.pk}").json()

    assert body["grants"] == {
        "currencies": [{"currency": "gems", "amount": 100}],
        "items": [
            {"product_id": boost.pk, "name": "Boost", "type": "consumable", "quantity": 3},
            {
                "product_id": body["grants"]["items"][1]["product_id"],
                "name": "Golden skin",
                "type": "permanent",
                "quantity": 1,
            },
        ],
    }


def test_a_bundle_over_the_api_that_cannot_be_delivered_is_409(player, starter_pack, gems):
    ledger.adjust_balance(user_id=player.pk, amount=950, currency=gems, reason="test")

    response = purchase(client_for(player), starter_pack)

    error = assert_error(response, 409, "balance_limit_exceeded")
    assert error["details"]["currency"] == "gems"


def test_a_bundle_granting_an_inactive_currency_is_not_sold(player, starter_pack, gems):
    gems.is_active = False
    catalog.save_currency(currency=gems)

    with pytest.raises(ProductUnavailable):
        services.purchase_product(user_id=player.pk, product_id=starter_pack.pk)

    assert balance_of(player) == 1000
