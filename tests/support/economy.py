"""A small economy over three UTC days, for the dashboard's tests: each figure it should show
is known by hand."""

from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from typing import NamedTuple

from django.utils import timezone

from economy.accounts.models import User
from economy.catalog.models import Product
from economy.inventory.services import purchase_product, refund_purchase
from economy.ledger import holds
from economy.ledger.models import Hold, Transaction
from economy.ledger.services import add_funds, adjust_balance, spend
from tests.factories import ProductFactory, UserFactory, default_currency


@contextmanager
def dated(moment):
    """Ledger rows written inside are dated `moment`: the services date them `now`, and the
    database refuses to change a completed row afterwards."""
    field = Transaction._meta.get_field("created_at")
    original = field.default
    field.default = lambda: moment
    field.__dict__.pop("_get_default", None)  # Field caches its default's callable
    try:
        yield
    finally:
        field.default = original
        field.__dict__.pop("_get_default", None)


class Seeded(NamedTuple):
    alice: User
    bob: User
    carol: User
    sword: Product
    potion: Product
    hold: Hold
    days: list  # the three UTC days, oldest first


def seed_three_days() -> Seeded:
    """Two days ago: 100 granted to alice, 500 deposited for bob, alice buys a sword (30).
    Yesterday: bob buys two swords (60) and a potion (10), spends 20, alice's sword is
    refunded (30). Today: 50 deposited for carol, and a hold of 40 on bob."""
    coins = default_currency()
    today = timezone.now().astimezone(UTC).date()
    days = [today - timedelta(days=2), today - timedelta(days=1), today]
    noon = [datetime.combine(day, time(12), tzinfo=UTC) for day in days]
    sword = ProductFactory(name="Sword", price=30)
    potion = ProductFactory(name="Potion", price=10)
    alice, bob, carol = (UserFactory(username=name) for name in ("alice", "bob", "carol"))
    with dated(noon[0]):
        adjust_balance(user_id=alice.pk, amount=100, currency=coins, reason="Welcome")
        add_funds(user_id=bob.pk, amount=500, currency=coins)
        bought = purchase_product(user_id=alice.pk, product_id=sword.pk).transaction
    with dated(noon[1]):
        purchase_product(user_id=bob.pk, product_id=sword.pk, quantity=2)
        purchase_product(user_id=bob.pk, product_id=potion.pk)
        spend(user_id=bob.pk, amount=20, currency=coins, reason="Entry fee")
        refund_purchase(transaction_id=bought.pk, reason="Bought by mistake")
    add_funds(user_id=carol.pk, amount=50, currency=coins)
    hold = holds.place_hold(
        user_id=bob.pk,
        amount=40,
        currency=coins,
        expires_at=timezone.now() + timedelta(hours=1),
        reference="Match 12",
    ).hold
    return Seeded(alice, bob, carol, sword, potion, hold, days)
