"""The minute's hold expiry: every due hold ends as its `on_expiry` says, in batches, once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from economy.events.models import Event
from economy.ledger import holds
from economy.ledger.models import Hold, HoldStatus, SystemWallet
from economy.ledger.tasks import expire_holds
from tests.factories import CurrencyFactory, UserFactory, default_currency
from tests.support.ledger import assert_ledger_consistent, balance_of, system_balance, wallet_of

pytestmark = pytest.mark.django_db


def hold_for(player, amount, *, minutes, on_expiry="void", destination="sink:spend", currency=None):
    """A hold placed an hour ago that expires `minutes` after that (so in the past if < 60)."""
    placed_at = timezone.now() - timedelta(hours=1)
    return holds.place_hold(
        user_id=player.pk,
        amount=amount,
        currency=currency or default_currency(),
        expires_at=placed_at + timedelta(minutes=minutes),
        on_expiry=on_expiry,
        destination=destination,
        now=placed_at,
    ).hold


def test_due_holds_are_voided_or_captured_as_placed_and_others_wait():
    player = UserFactory(funds=1_000)
    voided = hold_for(player, 100, minutes=10)
    captured = hold_for(player, 200, minutes=59, on_expiry="capture", destination="sink:fees")
    waiting = hold_for(player, 300, minutes=120)

    assert expire_holds.delay().get() == 2

    states = {h.pk: (h.status, h.captured_amount) for h in Hold.objects.all()}
    assert states == {
        voided.pk: (HoldStatus.EXPIRED, None),
        captured.pk: (HoldStatus.EXPIRED, 200),
        waiting.pk: (HoldStatus.PENDING, None),
    }
    wallet = wallet_of(player)
    assert (wallet.balance, wallet.held) == (800, 300)
    assert system_balance("sink:fees") == 200
    assert system_balance(SystemWallet.HOLDS) == 0
    expired = Event.objects.filter(type="hold.expired").order_by("id")
    assert [event.payload["hold"]["id"] for event in expired] == [voided.pk, captured.pk]
    assert_ledger_consistent()


def test_a_second_run_changes_nothing():
    player = UserFactory(funds=1_000)
    hold_for(player, 100, minutes=10, on_expiry="capture")
    assert expire_holds.delay().get() == 1
    before = (Event.objects.count(), balance_of(player), list(Hold.objects.values("status")))
    assert expire_holds.delay().get() == 0
    assert (Event.objects.count(), balance_of(player), list(Hold.objects.values("status"))) == (
        before
    )


def test_batches_end_every_due_hold_whatever_the_batch_size():
    players = [UserFactory(funds=1_000) for _ in range(3)]
    for n in range(23):
        hold_for(players[n % 3], 5, minutes=1 + n % 4)  # several holds share an expiry
    assert holds.expire_due_holds(batch_size=4) == 23
    assert not Hold.objects.filter(status=HoldStatus.PENDING).exists()
    assert_ledger_consistent()


def test_a_capture_the_destination_cannot_receive_is_voided_with_its_reason():
    gems = CurrencyFactory(code="gems", initial_grant=100, max_balance=120)
    player, rival = UserFactory(), UserFactory()
    hold = hold_for(
        player,
        50,
        minutes=5,
        on_expiry="capture",
        destination=f"player:{rival.pk}",
        currency=gems,
    )
    assert holds.expire_due_holds() == 1
    hold.refresh_from_db()
    assert (hold.status, hold.captured_amount) == (HoldStatus.EXPIRED, None)
    assert "maximum" in hold.reason
    assert (balance_of(player, "gems"), balance_of(rival, "gems")) == (100, 100)
    assert_ledger_consistent()
