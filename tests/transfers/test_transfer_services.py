"""economy.transfers.services, called as the API and back-office code call it."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from economy.accounts.models import User
from economy.catalog.models import Product
from economy.common.exceptions import (
    AlreadyOwned,
    InsufficientFunds,
    InvalidInput,
    NotTransferable,
    QuantityNotAllowed,
)
from economy.events.models import Event
from economy.inventory import locks
from economy.inventory import services as inventory
from economy.ledger import services as ledger
from economy.transfers import services
from economy.transfers.models import Transfer
from tests.factories import CurrencyFactory, UserFactory
from tests.support.ledger import assert_ledger_consistent, balance_of

pytestmark = pytest.mark.django_db


def send(alice, bob, currency, amount, **options):
    return services.transfer_currency(
        from_user_id=alice.pk,
        to_user_id=bob.pk,
        currency=currency,
        amount=amount,
        actor=options.pop("actor", alice),
        **options,
    )


def test_a_currency_transfer_returns_both_wallets_as_the_database_holds_them(alice, bob, gems):
    result = send(alice, bob, gems, 25, reason="thanks")
    assert (result.sender.balance, result.receiver.balance) == (975, 125)
    assert (balance_of(alice, "gems"), balance_of(bob, "gems")) == (975, 125)
    assert (result.transfer.amount, result.transfer.reason) == (25, "thanks")
    assert result.transfer.transaction.reason == "thanks"
    assert_ledger_consistent()


def test_the_rules_bind_players_and_not_trusted_transfers(alice, bob, coins, gems, backend):
    with pytest.raises(NotTransferable):
        send(alice, bob, coins, 1)
    with pytest.raises(NotTransferable):
        send(alice, bob, gems, 501)
    send(alice, bob, coins, 1, actor=backend, trusted=True)
    send(alice, bob, gems, 501, actor=backend, trusted=True)
    assert (balance_of(bob), balance_of(bob, "gems")) == (101, 601)


def test_the_daily_limit_counts_what_the_sender_sent_in_that_currency_only(alice, bob, gems):
    other = CurrencyFactory(code="stars", is_giftable=True, daily_transfer_limit=500)
    ledger.add_funds(user_id=alice.pk, amount=1000, currency=other)
    ledger.add_funds(user_id=bob.pk, amount=1000, currency=gems)
    send(alice, bob, other, 500)  # another currency
    send(bob, alice, gems, 500)  # received, not sent
    send(alice, bob, gems, 300)
    send(alice, bob, gems, 200)  # up to the limit exactly
    with pytest.raises(NotTransferable) as refused:
        send(alice, bob, gems, 1)
    assert (refused.value.details["sent_today"], refused.value.details["limit"]) == (500, 500)


def test_a_trusted_transfer_counts_against_the_senders_daily_limit(alice, bob, gems, backend):
    send(alice, bob, gems, 450, actor=backend, trusted=True)
    with pytest.raises(NotTransferable):
        send(alice, bob, gems, 51)


def test_refusals_write_nothing(alice, bob, gems):
    before = (Transfer.objects.count(), Event.objects.count(), balance_of(alice, "gems"))
    with pytest.raises(InsufficientFunds):
        send(alice, bob, gems, 1001, trusted=True)
    with pytest.raises(NotTransferable):
        send(alice, alice, gems, 1)
    with pytest.raises(InvalidInput):
        send(alice, bob, gems, 0)
    with pytest.raises(User.DoesNotExist):
        send(alice, UserFactory.build(pk=10**9), gems, 1)
    assert (Transfer.objects.count(), Event.objects.count(), balance_of(alice, "gems")) == before


def test_a_refusal_inside_the_callers_transaction_leaves_it_usable(alice, bob, gems):
    """As the Idempotency-Key's transaction needs: no savepoint, and nothing to roll back."""
    with transaction.atomic():
        with pytest.raises(InsufficientFunds):
            send(alice, bob, gems, 5000)
        send(alice, bob, gems, 5)
    assert balance_of(bob, "gems") == 105


def test_an_item_transfer_returns_what_both_hold(alice, bob, potion, skin, alice_items):
    result = services.transfer_items(
        from_user_id=alice.pk, to_user_id=bob.pk, product_id=potion.pk, quantity=4, actor=alice
    )
    assert (result.sender.quantity, result.receiver.quantity) == (1, 4)
    assert result.transfer.product == potion
    with pytest.raises(QuantityNotAllowed):
        services.transfer_items(
            from_user_id=alice.pk, to_user_id=bob.pk, product_id=skin.pk, quantity=2, actor=alice
        )
    with pytest.raises(Product.DoesNotExist):
        services.transfer_items(
            from_user_id=alice.pk, to_user_id=bob.pk, product_id=10**9, actor=alice
        )


def test_a_permanent_goes_only_to_a_player_who_does_not_own_it(alice, bob, skin, alice_items):
    inventory.purchase_product(user_id=bob.pk, product_id=skin.pk)
    with pytest.raises(AlreadyOwned):
        services.transfer_items(
            from_user_id=alice.pk, to_user_id=bob.pk, product_id=skin.pk, actor=alice
        )
    inventory.refund_purchase(
        transaction_id=bob.transactions.get(kind="purchase").pk, reason="changed his mind"
    )
    # A refunded permanent is no longer owned: the gift lands on the empty row.
    result = services.transfer_items(
        from_user_id=alice.pk, to_user_id=bob.pk, product_id=skin.pk, actor=alice
    )
    assert result.receiver.quantity == 1


def test_a_delivered_permanent_is_never_owned_twice(alice, skin, alice_items):
    with transaction.atomic():
        assert inventory.deliver_units(user_id=alice.pk, product=skin, quantity=1) is None
    assert alice.inventory_items.get(product=skin).quantity == 1


def test_both_inventory_rows_are_locked_in_one_statement_by_user_id(alice, bob, potion):
    inventory.purchase_product(user_id=alice.pk, product_id=potion.pk)
    inventory.purchase_product(user_id=bob.pk, product_id=potion.pk)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        rows = locks.inventory_items_for_update(product_id=potion.pk, user_ids=[bob.pk, alice.pk])
    assert set(rows) == {alice.pk, bob.pk}
    [locking] = [q["sql"] for q in queries]
    assert 'ORDER BY "inventory_inventoryitem"."product_id" ASC, ' in locking
    assert locking.endswith(
        '"inventory_inventoryitem"."user_id" ASC FOR UPDATE OF "inventory_inventoryitem"'
    )


def test_a_currency_transfer_locks_both_wallets_in_one_statement(alice, bob, gems):
    with CaptureQueriesContext(connection) as queries:
        send(alice, bob, gems, 1)
    locking = [q["sql"] for q in queries if "FOR NO KEY UPDATE" in q["sql"]]
    assert len(locking) == 1
    assert locking[0].endswith("ORDER BY id FOR NO KEY UPDATE")
