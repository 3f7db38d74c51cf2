"""One global lock order (wallets by id, then a hold, then inventory rows by product id, then
the Idempotency-Key's record) holds for every money path: every pair of operations on one
player, with and without keys, raced by real threads for a while, never deadlocks, never
answers 5xx, and leaves the books right."""

import itertools
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from economy.catalog.models import Product
from economy.inventory import services as inventory
from economy.ledger import holds
from economy.ledger import services as ledger
from economy.ledger.models import Hold, HoldStatus, Kind, Status, Transaction
from tests.factories import ProductFactory, StaffFactory, UserFactory
from tests.support.api import client_for, grant
from tests.support.ledger import assert_ledger_consistent

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RACE_SECONDS = 0.6


class Game:
    """One player and everything the operations below need, each returning a status code."""

    def __init__(self):
        self.player = UserFactory(funds=100_000)
        self.potion = ProductFactory(price=3)
        self.client = client_for(self.player)
        backend = grant(UserFactory(username=f"backend-{uuid.uuid4().hex[:6]}"), "add_funds")
        self.backend = client_for(backend)
        self.staff = StaffFactory()
        self.rival = UserFactory(funds=1_000)
        inventory.purchase_product(user_id=self.player.pk, product_id=self.potion.pk, quantity=50)

    def purchase(self, keyed):
        return self.client.post(
            f"/api/v1/products/{self.potion.pk}/purchase",
            {"quantity": 2},
            format="json",
            **self._key(keyed),
        ).status_code

    def use(self, keyed):
        return self.client.post(
            f"/api/v1/products/{self.potion.pk}/use",
            {"quantity": 1},
            format="json",
            **self._key(keyed),
        ).status_code

    def add_funds(self, keyed):
        return self.backend.post(
            f"/api/v1/users/{self.player.pk}/add-funds",
            {"amount": 5},
            format="json",
            **self._key(True),
        ).status_code

    def spend(self, keyed):
        return self.backend.post(
            f"/api/v1/users/{self.player.pk}/spend",
            {"amount": 4},
            format="json",
            **self._key(True),
        ).status_code

    def adjust(self, keyed):
        ledger.adjust_balance(
            user_id=self.player.pk,
            amount=1,
            currency=self.potion.price_currency,
            reason="race",
            staff=self.staff,
        )
        return 201

    def refund(self, keyed):
        purchase = (
            Transaction.objects.filter(
                user=self.player, kind=Kind.PURCHASE, status=Status.COMPLETED, refunds=None
            )
            .order_by("?")
            .first()
        )
        try:
            inventory.refund_purchase(transaction_id=purchase.pk, reason="race", staff=self.staff)
        except inventory.NotRefundable:
            return 409
        return 201

    def hold(self, keyed):
        return self.backend.post(
            f"/api/v1/users/{self.player.pk}/holds",
            {"amount": 6, "destination": f"player:{self.rival.pk}"},
            format="json",
            **self._key(True),
        ).status_code

    def capture(self, keyed):
        return self._end("capture", {"amount": 2})

    def void(self, keyed):
        return self._end("void", {})

    def expire(self, keyed):
        holds.expire_due_holds(now=timezone.now() + timedelta(hours=2), batch_size=5)
        return 200

    def transfer_out(self, keyed):
        return self._transfer(self.player, self.rival)

    def transfer_in(self, keyed):
        return self._transfer(self.rival, self.player)

    def _transfer(self, sender, receiver):
        return self.backend.post(
            "/api/v1/transfers",
            {"from_user": sender.pk, "to_user": receiver.pk, "amount": 3},
            format="json",
            **self._key(True),
        ).status_code

    def _end(self, action, body):
        hold = Hold.objects.filter(user=self.player, status=HoldStatus.PENDING).order_by("?")
        hold_id = hold.values_list("pk", flat=True).first()
        if hold_id is None:
            return self.hold(True)
        return self.backend.post(
            f"/api/v1/holds/{hold_id}/{action}", body, format="json", **self._key(True)
        ).status_code

    @staticmethod
    def _key(keyed):
        return {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex} if keyed else {}


OPERATIONS = [
    ("purchase", False),
    ("purchase", True),
    ("use", False),
    ("use", True),
    ("add_funds", True),
    ("spend", True),
    ("adjust", False),
    ("refund", False),
    ("hold", True),
    ("capture", True),
    ("void", True),
    ("expire", False),
    ("transfer_out", True),
    ("transfer_in", True),
]


def deadlocks_so_far():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def race(game, first, second):
    """Both operations in two threads each, for RACE_SECONDS; the statuses answered."""
    statuses, errors = [], []
    deadline = time.monotonic() + RACE_SECONDS
    start = threading.Barrier(4)

    def loop(name, keyed):
        try:
            start.wait(10)
            while time.monotonic() < deadline:
                statuses.append((name, keyed, getattr(game, name)(keyed)))
        except Exception as exc:  # reported to the test
            errors.append((name, keyed, repr(exc)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=loop, args=op) for op in (first, first, second, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive(), f"{first} and {second} hung"
    return statuses, errors


def test_every_pair_of_money_operations_races_without_deadlock_or_5xx():
    game = Game()
    deadlocks = deadlocks_so_far()
    failures = []
    for first, second in itertools.combinations_with_replacement(OPERATIONS, 2):
        statuses, errors = race(game, first, second)
        failures += errors
        failures += [status for status in statuses if status[2] >= 500]
        assert statuses, f"{first} and {second} did nothing"
    time.sleep(1.2)  # PostgreSQL reports its statistics asynchronously
    assert failures == []
    assert deadlocks_so_far() == deadlocks
    assert Product.objects.count() == 1
    assert_ledger_consistent()
