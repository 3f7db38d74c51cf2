"""The ledger against a model: random sequences of top-ups and spends (fresh and replayed
idempotency keys), purchases, uses, refunds, and holds placed, captured (all or part, to a sink
or to the other player), voided and expired on a clock the model moves forward, and transfers
between the players, compared after
every step with a few dictionaries: each player's wallet in the default currency (balance,
held, available), its holdings, its pending holds, its ledger rows, and the system wallets the
currency moved to and from. Currency is conserved after every step (assert_ledger_consistent).

Top-ups, spends, purchases, uses and holds go through the HTTP API (so through the idempotency
decorator, the serializers and the cache); refunds through the service support staff use, and
expiry through the service the minute's task runs, at the model's clock. The
test database is a `transaction=True` one so that every request commits and on-commit cache
invalidation runs as in production: a stale cached inventory would show up as a mismatch.
"""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from rest_framework.test import APIClient

from economy.common.exceptions import NotRefundable
from economy.inventory.models import InventoryItem
from economy.inventory.services import refund_purchase
from economy.ledger import holds
from economy.ledger.models import Hold, HoldStatus, Kind, Status, SystemWallet, Transaction, Wallet
from tests.factories import PermanentProductFactory, ProductFactory, TokenFactory, UserFactory
from tests.support.ledger import assert_ledger_consistent, system_balance

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MAX_DEPOSIT = 100_000
# A few shared strings, so repeated keys are common; the fresh ones are made unique per step.
REUSED_KEYS = ("k-a", "k-b", "k-c")
SINKS = (None, "sink:entry-fees")  # None: the request names none, sink:spend
PRIZES = "sink:prizes"  # where holds are paid when they name no player
SYSTEM_WALLETS = (
    SystemWallet.DEPOSITS,
    SystemWallet.STORE,
    SystemWallet.SPEND,
    "sink:entry-fees",
    PRIZES,
    SystemWallet.HOLDS,
)


def _client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {TokenFactory(user=user).key}")
    return client


class LedgerMachine(RuleBasedStateMachine):
    """The model: wallets in the default currency, holdings, ledger row counts, system wallet
    balances, purchases, stored idempotent answers."""

    @initialize()
    def create_world(self):
        self.players = [UserFactory() for _ in range(2)]
        self.clients = {player.pk: _client(player) for player in self.players}
        backend = UserFactory()
        backend.user_permissions.add(Permission.objects.get(codename="add_funds"))
        self.backend = _client(backend)
        self.products = {
            product.pk: product
            for product in (
                ProductFactory(price=7),
                ProductFactory(price=13),
                PermanentProductFactory(price=50),
            )
        }
        # The default currency's wallet of each player: None until it opens (on a player's
        # first top-up, spend, purchase or hold, even refused, or as a hold's destination),
        # then its balance; `reserved` is what its pending holds hold.
        self.wallet = {player.pk: None for player in self.players}
        self.reserved = {player.pk: 0 for player in self.players}
        # hold id -> (user_id, amount, destination, on_expiry, expires_at) of pending holds
        self.pending = {}
        self.ended = set()
        self.clock = timedelta(0)  # how far the model's clock is ahead of the real one
        self.held = {(player.pk, pk): 0 for player in self.players for pk in self.products}
        # System wallets are shared by every example run on this database: from where they are.
        self.system = {name: system_balance(name) for name in SYSTEM_WALLETS}
        self.ledger_rows = {player.pk: 0 for player in self.players}
        # purchase transaction id -> [user_id, product_id, quantity, unit_price, refunded]
        self.purchases = {}
        # (actor, route, key) -> (request, status, body): what a replay must return
        self.stored = {}
        self.fresh = 0

    # --- helpers ----------------------------------------------------------------------------

    def _key(self, reuse, choice):
        if reuse:
            return REUSED_KEYS[choice]
        self.fresh += 1
        return f"fresh-{self.fresh}"

    def _balance(self, user_id):
        return self.wallet[user_id] or 0

    def _available(self, user_id):
        return self._balance(user_id) - self.reserved[user_id]

    def _open(self, user_id):
        if self.wallet[user_id] is None:
            self.wallet[user_id] = 0

    def _assert_wallet_in(self, body, user_id):
        """The wallet a 201 shows: the model's, in the default currency."""
        balance, held = self.wallet[user_id], self.reserved[user_id]
        assert (body["currency"], body["balance"], body["held"], body["available"]) == (
            "coins",
            balance,
            held,
            balance - held,
        ), body

    def _assert_refused_for_funds(self, response, user_id, required):
        assert response.status_code == 409, response.content
        error = response.json()["error"]
        assert error["code"] == "insufficient_funds"
        assert error["details"] == {
            "currency": "coins",
            "available": self._available(user_id),
            "required": required,
        }

    def _replay_or_none(self, scope, request, response):
        """Check a response against a stored answer for its key; True when it was a replay."""
        if scope not in self.stored:
            return False
        stored_request, status, body = self.stored[scope]
        if stored_request == request:
            assert response.status_code == status, response.content
            assert response.content == body
            assert response["Idempotent-Replayed"] == "true"
        else:
            assert response.status_code == 422, response.content
            assert response.json()["error"]["code"] == "idempotency_key_reused"
        return True

    # --- rules ------------------------------------------------------------------------------

    @rule(
        player=st.integers(0, 1),
        amount=st.integers(1, 500),
        reuse=st.booleans(),
        choice=st.integers(0, len(REUSED_KEYS) - 1),
    )
    def add_funds(self, player, amount, reuse, choice):
        user_id = self.players[player].pk
        key = self._key(reuse, choice)
        response = self.backend.post(
            f"/api/v1/users/{user_id}/add-funds",
            {"amount": amount},
            format="json",
            HTTP_IDEMPOTENCY_KEY=key,
        )
        scope = ("backend", "add-funds", key)
        if self._replay_or_none(scope, (user_id, amount), response):
            return
        assert response.status_code == 201, response.content
        self.wallet[user_id] = self._balance(user_id) + amount
        self.ledger_rows[user_id] += 1
        self.system[SystemWallet.DEPOSITS] -= amount
        body = response.json()
        self._assert_wallet_in(body, user_id)
        shown = body["transaction"]
        assert (shown["kind"], shown["amount"], shown["debit"], shown["credit"]) == (
            "deposit",
            amount,
            SystemWallet.DEPOSITS,
            f"player:{user_id}",
        )
        self.stored[scope] = ((user_id, amount), 201, response.content)

    @rule(
        player=st.integers(0, 1),
        amount=st.integers(1, 300),
        sink=st.sampled_from(SINKS),
        reuse=st.booleans(),
        choice=st.integers(0, len(REUSED_KEYS) - 1),
    )
    def spend(self, player, amount, sink, reuse, choice):
        user_id = self.players[player].pk
        key = self._key(reuse, choice)
        body = {"amount": amount} if sink is None else {"amount": amount, "sink": sink}
        response = self.backend.post(
            f"/api/v1/users/{user_id}/spend", body, format="json", HTTP_IDEMPOTENCY_KEY=key
        )
        scope = ("backend", "spend", key)
        if self._replay_or_none(scope, (user_id, amount, sink), response):
            return
        self._open(user_id)
        self.ledger_rows[user_id] += 1  # a failed row for a refusal, the spend otherwise
        if amount > self._available(user_id):
            self._assert_refused_for_funds(response, user_id, amount)
        else:
            assert response.status_code == 201, response.content
            self.wallet[user_id] -= amount
            self.system[sink or SystemWallet.SPEND] += amount
            self._assert_wallet_in(response.json(), user_id)
            shown = response.json()["transaction"]
            assert (shown["kind"], shown["amount"], shown["debit"], shown["credit"]) == (
                "spend",
                amount,
                f"player:{user_id}",
                sink or SystemWallet.SPEND,
            )
        self.stored[scope] = ((user_id, amount, sink), response.status_code, response.content)

    @rule(
        player=st.integers(0, 1),
        route=st.sampled_from(["add-funds", "spend"]),
        amount=st.sampled_from([0, -5, MAX_DEPOSIT + 1, 2**70]),
    )
    def money_out_of_range(self, player, route, amount):
        user_id = self.players[player].pk
        response = self.backend.post(
            f"/api/v1/users/{user_id}/{route}",
            {"amount": amount},
            format="json",
            HTTP_IDEMPOTENCY_KEY=self._key(False, 0),
        )
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == "validation_error"
        assert "amount" in response.json()["error"]["details"]

    @rule(player=st.integers(0, 1), route=st.sampled_from(["add-funds", "spend"]))
    def money_in_an_unknown_currency(self, player, route):
        user_id = self.players[player].pk
        response = self.backend.post(
            f"/api/v1/users/{user_id}/{route}",
            {"amount": 1, "currency": "doubloons"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=self._key(False, 0),
        )
        assert response.status_code == 409, response.content
        assert response.json()["error"]["code"] == "currency_unavailable"
        assert response.json()["error"]["details"] == {"currency": "doubloons"}

    @rule(
        player=st.integers(0, 1),
        index=st.integers(0, 2),
        quantity=st.integers(1, 3),
        keyed=st.booleans(),
        reuse=st.booleans(),
        choice=st.integers(0, len(REUSED_KEYS) - 1),
    )
    def purchase(self, player, index, quantity, keyed, reuse, choice):
        user_id = self.players[player].pk
        product = list(self.products.values())[index]
        headers = {}
        scope = None
        if keyed:
            key = self._key(reuse, choice)
            headers["HTTP_IDEMPOTENCY_KEY"] = key
            scope = (user_id, "purchase", key)
        response = self.clients[user_id].post(
            f"/api/v1/products/{product.pk}/purchase",
            {"quantity": quantity},
            format="json",
            **headers,
        )
        # A key already used answers first (replay or 422), whatever the body.
        if scope and self._replay_or_none(scope, (product.pk, quantity), response):
            return
        if not product.is_consumable and quantity != 1:
            # Refused before anything is written (no failed row), stored under the key (a 409).
            assert response.status_code == 409, response.content
            assert response.json()["error"]["code"] == "quantity_not_allowed"
            if scope:
                self.stored[scope] = ((product.pk, quantity), 409, response.content)
            return
        cost = product.price * quantity
        held = self.held[user_id, product.pk]
        self._open(user_id)
        if not product.is_consumable and held:
            expected = (409, "already_owned")
        elif cost > self._available(user_id):
            expected = (409, "insufficient_funds")
        else:
            expected = (201, None)
        assert response.status_code == expected[0], response.content
        self.ledger_rows[user_id] += 1  # a failed row for a refusal, the purchase otherwise
        if expected[0] == 201:
            body = response.json()
            self.wallet[user_id] -= cost
            self.system[SystemWallet.STORE] += cost
            self.held[user_id, product.pk] += quantity
            self._assert_wallet_in(body, user_id)
            assert body["quantity_held"] == self.held[user_id, product.pk]
            shown = body["transaction"]
            assert (shown["amount"], shown["unit_price"], shown["debit"], shown["credit"]) == (
                cost,
                product.price,
                f"player:{user_id}",
                SystemWallet.STORE,
            )
            self.purchases[body["transaction"]["id"]] = [
                user_id,
                product.pk,
                quantity,
                product.price,
                False,
            ]
        elif expected[1] == "insufficient_funds":
            self._assert_refused_for_funds(response, user_id, cost)
        else:
            assert response.json()["error"]["code"] == expected[1]
        if scope:
            self.stored[scope] = ((product.pk, quantity), response.status_code, response.content)

    @rule(player=st.integers(0, 1), index=st.integers(0, 2), quantity=st.integers(1, 3))
    def use(self, player, index, quantity):
        user_id = self.players[player].pk
        product = list(self.products.values())[index]
        response = self.clients[user_id].post(
            f"/api/v1/products/{product.pk}/use", {"quantity": quantity}, format="json"
        )
        held = self.held[user_id, product.pk]
        if not product.is_consumable:
            expected = "not_consumable"
        elif held == 0:
            expected = "not_in_inventory"
        elif held < quantity:
            expected = "insufficient_quantity"
        else:
            assert response.status_code == 200, response.content
            self.held[user_id, product.pk] -= quantity
            assert response.json()["quantity_left"] == self.held[user_id, product.pk]
            return
        assert response.status_code == 409, response.content
        assert response.json()["error"]["code"] == expected

    @precondition(lambda self: self.purchases)
    @rule(data=st.data())
    def refund(self, data):
        purchase_id = data.draw(st.sampled_from(sorted(self.purchases)))
        user_id, product_id, quantity, unit_price, refunded = self.purchases[purchase_id]
        units = min(self.held[user_id, product_id], quantity)
        if refunded or units == 0:
            with pytest.raises(NotRefundable):
                refund_purchase(transaction_id=purchase_id, reason="model test")
            return
        refund = refund_purchase(transaction_id=purchase_id, reason="model test")
        assert (refund.kind, refund.status, refund.refund_of_id) == (
            Kind.REFUND,
            Status.COMPLETED,
            purchase_id,
        )
        assert (refund.amount, refund.quantity, refund.unit_price) == (
            units * unit_price,
            units,
            unit_price,
        )
        assert (refund.debit_wallet.name, refund.credit_wallet.owner_id) == (
            SystemWallet.STORE,
            user_id,
        )
        self.held[user_id, product_id] -= units
        self.wallet[user_id] += units * unit_price
        self.system[SystemWallet.STORE] -= units * unit_price
        self.ledger_rows[user_id] += 1
        self.purchases[purchase_id][4] = True

    @rule(
        player=st.integers(0, 1),
        amount=st.integers(1, 400),
        expires_in=st.sampled_from([60, 600, 3600]),
        on_expiry=st.sampled_from(["void", "capture"]),
        to_rival=st.booleans(),
    )
    def place_hold(self, player, amount, expires_in, on_expiry, to_rival):
        user_id = self.players[player].pk
        rival = self.players[1 - player].pk
        destination = f"player:{rival}" if to_rival else PRIZES
        response = self.backend.post(
            f"/api/v1/users/{user_id}/holds",
            {
                "amount": amount,
                "expires_in": expires_in,
                "on_expiry": on_expiry,
                "destination": destination,
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY=self._key(False, 0),
        )
        self._open(user_id)
        if to_rival:
            self._open(rival)  # a player destination's wallet opens when the hold is placed
        self.ledger_rows[user_id] += 1  # the pending reservation, or a failed row
        if amount > self._available(user_id):
            self._assert_refused_for_funds(response, user_id, amount)
            return
        assert response.status_code == 201, response.content
        self.reserved[user_id] += amount
        body = response.json()
        self._assert_wallet_in(body, user_id)
        hold = body["hold"]
        assert (hold["status"], hold["amount"], hold["destination"]) == (
            "pending",
            amount,
            destination,
        )
        expires_at = datetime.fromisoformat(hold["expires_at"])
        self.pending[hold["id"]] = (user_id, amount, destination, on_expiry, expires_at)

    def _pay(self, hold_id, paid, destination):
        """The model's side of a hold ending: release it, and pay `paid` to `destination`."""
        user_id, amount, _, _, _ = self.pending.pop(hold_id)
        self.ended.add(hold_id)
        self.reserved[user_id] -= amount
        if paid:
            self.wallet[user_id] -= paid
            self.ledger_rows[user_id] += 1  # the capture row
            if destination.startswith("player:"):
                payee = int(destination.removeprefix("player:"))
                self.wallet[payee] = self._balance(payee) + paid
            else:
                self.system[destination] += paid

    @precondition(lambda self: self.pending or self.ended)
    @rule(
        data=st.data(),
        part=st.sampled_from([None, 1, 0.5, 2.0]),
        to_rival=st.booleans(),
    )
    def capture_hold(self, data, part, to_rival):
        hold_id = data.draw(st.sampled_from(sorted({*self.pending, *self.ended})))
        body = {}
        if hold_id in self.pending:
            user_id, amount, destination, _, _ = self.pending[hold_id]
            if part is not None:
                body["amount"] = max(1, int(amount * part)) if part != 1 else amount
            if to_rival:
                rival = next(p.pk for p in self.players if p.pk != user_id)
                body["destination"] = destination = f"player:{rival}"
        response = self.backend.post(
            f"/api/v1/holds/{hold_id}/capture",
            body,
            format="json",
            HTTP_IDEMPOTENCY_KEY=self._key(False, 0),
        )
        if hold_id in self.ended:
            assert response.status_code == 409, response.content
            assert response.json()["error"]["code"] == "hold_not_pending"
            return
        paid = body.get("amount", amount)
        if paid > amount:
            assert response.status_code == 409, response.content
            assert response.json()["error"]["code"] == "amount_exceeds_hold"
            return
        assert response.status_code == 200, response.content
        self._pay(hold_id, paid, destination)
        shown = response.json()
        self._assert_wallet_in(shown, user_id)
        assert (shown["hold"]["status"], shown["hold"]["captured_amount"]) == ("captured", paid)

    @precondition(lambda self: self.pending or self.ended)
    @rule(data=st.data())
    def void_hold(self, data):
        hold_id = data.draw(st.sampled_from(sorted({*self.pending, *self.ended})))
        response = self.backend.post(
            f"/api/v1/holds/{hold_id}/void",
            {},
            format="json",
            HTTP_IDEMPOTENCY_KEY=self._key(False, 0),
        )
        if hold_id in self.ended:
            assert response.status_code == 409, response.content
            assert response.json()["error"]["code"] == "hold_not_pending"
            return
        assert response.status_code == 200, response.content
        user_id = self.pending[hold_id][0]
        self._pay(hold_id, 0, "")
        self._assert_wallet_in(response.json(), user_id)

    @rule(minutes=st.sampled_from([0, 2, 15, 90]))
    def clock_moves_and_holds_expire(self, minutes):
        """The minute's task, at the model's clock: every hold due by then ends as placed."""
        self.clock += timedelta(minutes=minutes)
        now = timezone.now() + self.clock
        due = sorted(hold_id for hold_id, hold in self.pending.items() if hold[4] <= now)
        assert holds.expire_due_holds(now=now) == len(due)
        for hold_id in due:
            _, amount, destination, on_expiry, _ = self.pending[hold_id]
            self._pay(hold_id, amount if on_expiry == "capture" else 0, destination)
        assert set(
            Hold.objects.filter(pk__in=due, status=HoldStatus.EXPIRED).values_list("pk", flat=True)
        ) == set(due)

    @rule(player=st.integers(0, 1), amount=st.integers(1, 400))
    def transfer(self, player, amount):
        """A trusted backend moves coins from one player to the other (an accepted trade)."""
        sender, receiver = self.players[player].pk, self.players[1 - player].pk
        response = self.backend.post(
            "/api/v1/transfers",
            {"from_user": sender, "to_user": receiver, "amount": amount},
            format="json",
            HTTP_IDEMPOTENCY_KEY=self._key(False, 0),
        )
        self._open(sender)
        self._open(receiver)
        if amount > self._available(sender):
            self._assert_refused_for_funds(response, sender, amount)  # no row is written
            return
        assert response.status_code == 201, response.content
        self.wallet[sender] -= amount
        self.wallet[receiver] += amount
        self.ledger_rows[sender] += 1  # the receiver is its counterparty, not its player
        body = response.json()
        assert (body["sender"]["balance"], body["receiver"]["balance"]) == (
            self.wallet[sender],
            self.wallet[receiver],
        )
        assert body["sender"]["available"] == self._available(sender)

    def teardown(self):
        """End this example's holds: the next example's clock must not find them pending."""
        if getattr(self, "pending", None):
            for hold_id in list(self.pending):
                holds.void_hold(hold_id=hold_id)

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def database_agrees_with_the_model(self):
        if not hasattr(self, "players"):
            return
        ids = list(self.wallet)
        wallets = {
            wallet.owner_id: (wallet.currency.code, wallet.balance, wallet.held)
            for wallet in Wallet.objects.filter(owner_id__in=ids).select_related("currency")
        }
        assert wallets == {
            user_id: ("coins", balance, self.reserved[user_id])
            for user_id, balance in self.wallet.items()
            if balance is not None
        }
        pending = Hold.objects.filter(user_id__in=ids, status=HoldStatus.PENDING)
        assert sorted(pending.values_list("pk", "amount")) == sorted(
            (hold_id, hold[1]) for hold_id, hold in self.pending.items()
        )
        assert all(balance >= held >= 0 for _, balance, held in wallets.values())
        assert {name: system_balance(name) for name in SYSTEM_WALLETS} == self.system
        held = {
            (row.user_id, row.product_id): row.quantity
            for row in InventoryItem.objects.filter(user_id__in=ids)
        }
        assert {k: v for k, v in held.items() if v} == {k: v for k, v in self.held.items() if v}
        for user_id in ids:
            assert Transaction.objects.filter(user_id=user_id).count() == self.ledger_rows[user_id]
        assert_ledger_consistent()

    @invariant()
    def profile_api_agrees_with_the_model(self):
        """What a player reads of its money: `balance` and `balances`, a wallet not opened yet
        shown as what opening it will grant (nothing, in coins)."""
        if not hasattr(self, "players"):
            return
        for user_id, client in self.clients.items():
            body = client.get("/api/v1/users/me").json()
            balance, held = self._balance(user_id), self.reserved[user_id]
            assert body["balance"] == balance
            assert body["balances"] == {
                "coins": {"balance": balance, "held": held, "available": balance - held}
            }

    @invariant()
    def inventory_api_agrees_with_the_model(self):
        """Through the cache: a stale entry after any write would differ here."""
        if not hasattr(self, "players"):
            return
        for user_id, client in self.clients.items():
            body = client.get(f"/api/v1/users/{user_id}/inventory").json()
            shown = {
                (user_id, item["product"]["id"]): item["quantity"] for item in body["consumables"]
            }
            shown.update({(user_id, item["product"]["id"]): 1 for item in body["permanents"]})
            expected = {k: v for k, v in self.held.items() if v and k[0] == user_id}
            assert shown == expected


def test_balances_inventory_and_ledger_always_agree_with_the_model(settings):
    settings.RATELIMIT_ENABLE = False
    run_state_machine_as_test(
        LedgerMachine,
        settings=hypothesis_settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
