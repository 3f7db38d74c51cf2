"""Holds under real concurrency on PostgreSQL: one outcome per hold, and never a negative
`available`, whatever races."""

from datetime import timedelta

import pytest
from django.utils import timezone

from economy.events.models import Event
from economy.ledger import holds
from economy.ledger.models import Hold, HoldStatus, Kind, Status, Transaction
from tests.factories import ProductFactory, UserFactory, default_currency
from tests.support.api import client_for, grant
from tests.support.concurrency import run_concurrently
from tests.support.ledger import assert_ledger_consistent, wallet_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _post(client, path, body, key):
    response = client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    return response.status_code, response.json()


def _backend_clients(count):
    backend = grant(UserFactory(), "add_funds")
    return [client_for(backend) for _ in range(count)]


def _place(player, amount, *, expires_in=3600, on_expiry="void", now=None):
    now = now or timezone.now()
    return holds.place_hold(
        user_id=player.pk,
        amount=amount,
        currency=default_currency(),
        expires_at=now + timedelta(seconds=expires_in),
        on_expiry=on_expiry,
        now=now,
    ).hold


@pytest.mark.parametrize("on_expiry", ["void", "capture"])
def test_capture_void_and_expiry_of_one_hold_end_it_exactly_once(on_expiry):
    clients = _backend_clients(6)
    player = UserFactory(funds=10_000)
    for round_ in range(8):
        hold = _place(player, 100, on_expiry=on_expiry)
        later = timezone.now() + timedelta(hours=2)

        def end(kind, client, hold_id=hold.pk, round_=round_, later=later):
            if kind == "expire":
                return holds.expire_due_holds(now=later)
            path = f"/api/v1/holds/{hold_id}/{kind}"
            return _post(client, path, {}, key=f"{kind}-{round_}-{id(client)}")

        kinds = ["capture", "void", "expire"] * 2
        results = run_concurrently(end, list(zip(kinds, clients, strict=True)))

        answers = [result for result in results if isinstance(result, tuple)]
        expired = sum(result for result in results if isinstance(result, int))
        successes = [body for status, body in answers if status == 200]
        assert len(successes) + expired == 1, results
        refusals = [body["error"]["code"] for status, body in answers if status != 200]
        assert set(refusals) <= {"hold_not_pending"}, results
        hold.refresh_from_db()
        assert hold.status != HoldStatus.PENDING
        ended = Event.objects.filter(type__in=["hold.captured", "hold.voided", "hold.expired"])
        assert ended.filter(payload__hold__id=hold.pk).count() == 1
    assert wallet_of(player).held == 0
    assert_ledger_consistent()


def test_purchases_spends_and_holds_of_one_player_never_overspend_available():
    funds = 1_000
    player = UserFactory(funds=funds)
    product = ProductFactory(price=70)
    backends = _backend_clients(20)
    players = [client_for(player) for _ in range(10)]
    work = []
    for n in range(10):
        work.append((players[n], f"/api/v1/products/{product.pk}/purchase", {}, f"p{n}"))
        work.append((backends[n], f"/api/v1/users/{player.pk}/spend", {"amount": 60}, f"s{n}"))
        work.append((backends[n + 10], f"/api/v1/users/{player.pk}/holds", {"amount": 90}, f"h{n}"))

    results = run_concurrently(_post, work)

    assert all(status in (201, 409) for status, _ in results), results
    refused = {body["error"]["code"] for status, body in results if status == 409}
    assert refused <= {"insufficient_funds"}
    wallet = wallet_of(player)
    spent = sum(
        row.amount
        for row in Transaction.objects.filter(
            user=player, status=Status.COMPLETED, kind__in=[Kind.PURCHASE, Kind.SPEND]
        )
    )
    held = sum(Hold.objects.filter(user=player).values_list("amount", flat=True))
    assert wallet.available >= 0
    assert (wallet.balance, wallet.held) == (funds - spent, held)
    assert spent + held <= funds
    # Every refusal came when what was left could not pay for it.
    assert funds - spent - held < 90
    assert_ledger_consistent()


def test_two_expiry_runs_at_once_end_each_due_hold_once():
    players = [UserFactory(funds=1_000) for _ in range(6)]
    past = timezone.now() - timedelta(hours=1)
    for n in range(60):
        _place(
            players[n % 6], 10, expires_in=60, on_expiry="capture" if n % 2 else "void", now=past
        )
    _place(players[0], 10)  # not due

    results = run_concurrently(lambda: holds.expire_due_holds(batch_size=7), [()] * 3)

    assert sum(results) == 60, results
    assert Hold.objects.filter(status=HoldStatus.EXPIRED).count() == 60
    assert Event.objects.filter(type="hold.expired").count() == 60
    assert Hold.objects.filter(status=HoldStatus.PENDING).count() == 1
    assert holds.expire_due_holds() == 0
    assert_ledger_consistent()
