"""Holds: two-phase movements of a player's currency (contract section 2).

`place_hold` reserves an amount: a pending ledger row from the player's wallet to escrow:holds
moves it from the wallet's `available` into `held`. `capture_hold`, `void_hold` and the expiry
of a due hold (`expire_due_holds`, every minute) end it, exactly once: each locks the player's
wallet, then the hold, and only a pending hold ends; whoever comes second gets HoldNotPending.
Ending a hold releases its reservation; a capture then posts the captured amount from the player
to the destination in a completed row of its own. A due hold ends as its `on_expiry` says by
whoever finds it first: the task, or a capture or void arriving late, which is refused.
"""

import re
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from economy.accounts.models import User
from economy.catalog.models import Currency
from economy.common import replicas
from economy.common.exceptions import (
    AmountExceedsHold,
    DestinationNotFound,
    DomainError,
    HoldNotPending,
    InvalidDestination,
    InvalidExpiry,
    InvalidInput,
)
from economy.events import outbox
from economy.events.models import EventType

from . import locks, services
from .models import (
    DESTINATION_PATTERN,
    Hold,
    HoldStatus,
    Kind,
    OnExpiry,
    Status,
    SystemWallet,
    Wallet,
)

_EVENTS = {
    HoldStatus.CAPTURED: EventType.HOLD_CAPTURED,
    HoldStatus.VOIDED: EventType.HOLD_VOIDED,
    HoldStatus.EXPIRED: EventType.HOLD_EXPIRED,
}


# What ending a hold writes on it; the database refuses a change to anything else.
_OUTCOME = ["status", "capture", "captured_amount", "reason", "resolved_by", "resolved_at"]


class HoldChange(NamedTuple):
    hold: Hold
    wallet: Wallet  # the player's wallet after the change


def place_hold(
    *,
    user_id: int,
    amount: int,
    currency: Currency,
    expires_at: datetime,
    on_expiry: str = OnExpiry.VOID,
    destination: str = SystemWallet.SPEND,
    reference: str = "",
    actor: User | None = None,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> HoldChange:
    """Reserve `amount` of the player's available currency until `expires_at`, for
    `destination` ("sink:<name>" or "player:<id>", another player). A refusal for funds leaves
    a `failed` row. Raises InvalidInput, InvalidExpiry, InvalidDestination, DestinationNotFound,
    InsufficientFunds, User.DoesNotExist."""
    services.validate_amount(amount)
    now = now or timezone.now()
    longest = timedelta(seconds=settings.ECONOMY_HOLD_MAX_SECONDS)
    if not now < expires_at <= now + longest:
        raise InvalidExpiry(expires_at=expires_at, latest=now + longest)
    payee = _payee(destination, holder_id=user_id)
    # A sink is resolved before the wallets are locked (ledger/locks.py).
    sink = services.system_wallet(destination, currency) if payee is None else None
    fields: dict[str, Any] = {
        "reason": reference,
        "created_by": actor,
        "idempotency_key": idempotency_key,
    }
    with transaction.atomic(savepoint=False):
        owners = [user_id] if payee is None else [user_id, payee]
        wallets = services.lock_wallets([(owner, currency) for owner in owners])
        wallet = wallets[user_id, currency.pk]
        target = sink if sink is not None else wallets[cast(int, payee), currency.pk]
        escrow = services.system_wallet(SystemWallet.HOLDS, currency)
        refusal = services.shortfall(wallet, amount)
        if refusal is None:
            reservation = services.post(
                debit=wallet,
                credit=escrow,
                amount=amount,
                kind=Kind.HOLD,
                status=Status.PENDING,
                **fields,
            )
            hold = Hold.objects.create(
                user_id=user_id,
                wallet=wallet,
                amount=amount,
                destination=target,
                on_expiry=on_expiry,
                expires_at=expires_at,
                reference=reference,
                reservation=reservation,
                created_by=actor,
                idempotency_key=idempotency_key,
                created_at=now,
            )
            _record(EventType.HOLD_PLACED, hold, wallet)
            return HoldChange(hold, wallet)
    services.record_failure(
        debit=wallet, credit=escrow, amount=amount, kind=Kind.HOLD, failure=refusal.code, **fields
    )
    raise refusal


def capture_hold(
    *,
    hold_id: int,
    amount: int | None = None,
    destination: str | None = None,
    actor: User | None = None,
    now: datetime | None = None,
) -> HoldChange:
    """Pay `amount` of a pending hold (all of it by default) to its destination, or to
    `destination` when the outcome decides who is paid (a match's winner), and release the
    rest. Raises Hold.DoesNotExist, InvalidInput, AmountExceedsHold, InvalidDestination,
    DestinationNotFound, HoldNotPending, BalanceLimitExceeded."""
    now = now or timezone.now()
    hold = _hold(hold_id)
    payee, sink = None, None
    if destination is not None:
        payee = _payee(destination, holder_id=hold.user_id)
        if payee is None:
            sink = services.system_wallet(destination, hold.wallet.currency)
    if amount is not None:
        services.validate_amount(amount)
        if amount > hold.amount:
            raise AmountExceedsHold(hold_id=hold.pk, amount=amount, held=hold.amount)
    with transaction.atomic(savepoint=False):
        hold, wallets = _lock(hold, payee)
        wallet = wallets[hold.user_id, hold.wallet.currency_id]
        refusal = _still_pending(hold, wallets, now)
        if refusal is None:
            if sink is not None:
                target = sink
            elif payee is not None:
                target = wallets[payee, hold.wallet.currency_id]
            else:
                target = _destination(hold, wallets)
            paid = hold.amount if amount is None else amount
            refusal = services.overflow(target, paid)
            if refusal is None:
                _end(hold, wallet, HoldStatus.CAPTURED, paid=paid, to=target, actor=actor, now=now)
    if refusal is not None:
        raise refusal
    return HoldChange(hold, wallet)


def void_hold(
    *, hold_id: int, reason: str = "", actor: User | None = None, now: datetime | None = None
) -> HoldChange:
    """Release all of a pending hold to its player. Raises Hold.DoesNotExist, HoldNotPending."""
    now = now or timezone.now()
    hold = _hold(hold_id)
    with transaction.atomic(savepoint=False):
        hold, wallets = _lock(hold)
        wallet = wallets[hold.user_id, hold.wallet.currency_id]
        refusal = _still_pending(hold, wallets, now)
        if refusal is None:
            _end(hold, wallet, HoldStatus.VOIDED, reason=reason, actor=actor, now=now)
    if refusal is not None:
        raise refusal
    return HoldChange(hold, wallet)


def expire_due_holds(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """End every hold pending past its expiry as its `on_expiry` says; the number ended.

    Reads the due holds in batches by (expires_at, id) and ends each in its own transaction,
    so one batch never holds many wallets' locks. Safe to run twice at once or again: a hold
    another run (or a capture) ended meanwhile is found ended under its lock and left alone.
    """
    now = now or timezone.now()
    ended = 0
    due = Hold.objects.filter(status=HoldStatus.PENDING, expires_at__lte=now)
    last: tuple[datetime, int] | None = None
    while True:
        batch = due.order_by("expires_at", "id")
        if last is not None:
            batch = batch.filter(expires_at__gte=last[0]).exclude(
                expires_at=last[0], id__lte=last[1]
            )
        keys = list(batch.values_list("expires_at", "id")[:batch_size])
        for _, hold_id in keys:
            ended += _expire_one(hold_id, now)
        if len(keys) < batch_size:
            return ended
        last = keys[-1]


def _expire_one(hold_id: int, now: datetime) -> bool:
    with transaction.atomic(savepoint=False):
        hold, wallets = _lock(_hold(hold_id))
        if not hold.is_due(now):
            return False
        _expire(hold, wallets, now)
        return True


# --- the pieces -------------------------------------------------------------------------------


def _payee(destination: str, *, holder_id: int) -> int | None:
    """The player a destination names ("player:12"); None for a sink. Raises InvalidInput for
    a malformed destination, InvalidDestination for the hold's own player, DestinationNotFound
    for an unknown one."""
    if not re.match(DESTINATION_PATTERN, destination):
        raise InvalidInput(destination=['A sink ("sink:<name>") or a player ("player:<id>").'])
    if destination.startswith("sink:"):
        return None
    payee = int(destination.removeprefix("player:"))
    if payee == holder_id:
        raise InvalidDestination(destination=destination)
    if not User.objects.filter(pk=payee).exists():
        raise DestinationNotFound(f"No player {payee}.", destination=destination)
    return payee


def _destination(hold: Hold, wallets: dict[tuple[int, int], Wallet]) -> Wallet:
    """The hold's own destination: its locked wallet when it is a player's."""
    if hold.destination.owner_id is None:
        return hold.destination
    return wallets[hold.destination.owner_id, hold.destination.currency_id]


def _hold(hold_id: int) -> Hold:
    return Hold.objects.select_related("wallet__currency", "destination").get(pk=hold_id)


def _lock(hold: Hold, payee: int | None = None) -> tuple[Hold, dict[tuple[int, int], Wallet]]:
    """Lock, in the global order, the wallets ending `hold` may move (its player's, a player
    destination's, `payee`'s), then the hold itself; the hold as it is under the lock."""
    currency = hold.wallet.currency
    owners = {owner for owner in (hold.user_id, hold.destination.owner_id, payee) if owner}
    wallets = services.lock_wallets([(owner, currency) for owner in owners])
    locked = locks.hold_for_update(hold.pk)
    locked.wallet.currency = currency
    return locked, wallets


def _still_pending(
    hold: Hold, wallets: dict[tuple[int, int], Wallet], now: datetime
) -> DomainError | None:
    """None when the (locked) hold may still be ended by the caller; else the refusal. A hold
    found past its expiry is ended now as its `on_expiry` says, and the caller refused."""
    if hold.status == HoldStatus.PENDING and hold.is_due(now):
        _expire(hold, wallets, now)
    if hold.status != HoldStatus.PENDING:
        return HoldNotPending(hold_id=hold.pk, status=hold.status)
    return None


def _expire(hold: Hold, wallets: dict[tuple[int, int], Wallet], now: datetime) -> None:
    wallet = wallets[hold.user_id, hold.wallet.currency_id]
    target = _destination(hold, wallets)
    if hold.on_expiry == OnExpiry.CAPTURE and services.overflow(target, hold.amount) is None:
        _end(hold, wallet, HoldStatus.EXPIRED, paid=hold.amount, to=target, now=now)
    elif hold.on_expiry == OnExpiry.CAPTURE:
        reason = "Not captured: the destination would exceed its currency's maximum."
        _end(hold, wallet, HoldStatus.EXPIRED, reason=reason, now=now)
    else:
        _end(hold, wallet, HoldStatus.EXPIRED, now=now)


def _end(
    hold: Hold,
    wallet: Wallet,
    status: HoldStatus,
    *,
    paid: int = 0,
    to: Wallet | None = None,
    reason: str = "",
    actor: User | None = None,
    now: datetime,
) -> None:
    """Release the hold's reservation, pay `paid` of it to `to`, and record how it ended."""
    services.release(hold.reservation, debit=wallet)
    if paid:
        assert to is not None
        hold.capture = services.post(
            debit=wallet,
            credit=to,
            amount=paid,
            kind=Kind.HOLD,
            reason=hold.reference,
            created_by=actor,
        )
        hold.captured_amount = paid
    hold.status = status
    hold.reason = reason
    hold.resolved_by = actor
    hold.resolved_at = now
    hold.save(
        update_fields=[
            "status",
            "capture",
            "captured_amount",
            "reason",
            "resolved_by",
            "resolved_at",
        ]
    )
    _record(_EVENTS[status], hold, wallet)


def _record(event_type: EventType, hold: Hold, wallet: Wallet) -> None:
    outbox.record(event_type, HoldChange(hold, wallet), user_id=hold.user_id)
    if hold.capture is not None:
        replicas.wrote(hold.capture.counterparty_id)  # a player it was paid to
