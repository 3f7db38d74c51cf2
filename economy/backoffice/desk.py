"""Reads of the support desk: what a player's page leads with, each part in a fixed number of
queries whatever the number of wallets, items or ledger rows."""

from datetime import datetime
from typing import NamedTuple

from django.db.models import QuerySet
from django.utils import timezone

from economy.accounts.models import User
from economy.catalog.models import Currency
from economy.inventory.models import InventoryItem
from economy.ledger import selectors as ledger
from economy.ledger.models import (
    Hold,
    HoldStatus,
    Kind,
    Status,
    SystemWallet,
    Transaction,
    Wallet,
)

LATEST_TRANSACTIONS = 20


class LedgerRow(NamedTuple):
    transaction: Transaction
    refundable: bool  # a completed purchase with no completed refund yet


class PlayerDesk(NamedTuple):
    wallets: list[Wallet]
    inventory: list[InventoryItem]
    open_holds: list[Hold]
    latest: list[LedgerRow]
    now: datetime  # what the page tells expired items and running effects by


def inventory_of(*, user_id: int) -> QuerySet[InventoryItem]:
    """The player's inventory rows with their products, as the desk shows them."""
    return InventoryItem.objects.filter(user_id=user_id).select_related("product").order_by("pk")


def open_holds_of(*, user_id: int) -> QuerySet[Hold]:
    return (
        Hold.objects.filter(user_id=user_id, status=HoldStatus.PENDING)
        .select_related("wallet__currency", "destination")
        .order_by("expires_at", "pk")
    )


def latest_rows(*, user_id: int, size: int = LATEST_TRANSACTIONS) -> list[LedgerRow]:
    """The player's newest ledger rows (those it pays and those another player paid it), each
    marked refundable or not with one more query for the whole page."""
    rows = ledger.history(user_id=user_id, size=size)
    purchases = [
        row.pk for row in rows if row.kind == Kind.PURCHASE and row.status == Status.COMPLETED
    ]
    refunded = set(
        Transaction.objects.filter(
            refund_of_id__in=purchases, kind=Kind.REFUND, status=Status.COMPLETED
        ).values_list("refund_of_id", flat=True)
    )
    return [LedgerRow(row, row.pk in purchases and row.pk not in refunded) for row in rows]


def player_desk(*, user_id: int) -> PlayerDesk:
    return PlayerDesk(
        wallets=list(ledger.player_wallets(user_id=user_id)),
        inventory=list(inventory_of(user_id=user_id)),
        open_holds=list(open_holds_of(user_id=user_id)),
        latest=latest_rows(user_id=user_id),
        now=timezone.now(),
    )


class GrantPreview(NamedTuple):
    """What a grant (or a taking back) would do, as things stand: the service decides again
    under the wallet's lock when it is confirmed."""

    balance: int
    after: int
    source: str
    destination: str
    refusal: str  # empty when the service would accept it now


def grant_preview(*, player: User, currency: Currency, amount: int) -> GrantPreview:
    wallet = Wallet.objects.filter(owner=player, currency=currency).first()
    # A wallet not opened yet opens with the currency's initial grant before the adjustment.
    balance, held = (wallet.balance, wallet.held) if wallet else (currency.initial_grant, 0)
    after = balance + amount
    refusal = ""
    if amount > 0:
        source, destination = SystemWallet.GRANTS.value, str(player)
        if currency.max_balance is not None and after > currency.max_balance:
            refusal = "This would take the balance above the currency's maximum."
    else:
        source, destination = str(player), SystemWallet.CORRECTIONS.value
        if balance - held < -amount:
            refusal = "The available balance does not cover this."
    return GrantPreview(balance, after, source, destination, refusal)


class RefundPreview(NamedTuple):
    """What refunding a purchase would credit, as things stand (inventory.refund_purchase
    decides again under the locks)."""

    units: int
    amount: int
    refusal: str


def refund_preview(purchase: Transaction) -> RefundPreview:
    if purchase.kind != Kind.PURCHASE or purchase.status != Status.COMPLETED:
        return RefundPreview(0, 0, "Only a completed purchase can be refunded.")
    if purchase.refunds.filter(status=Status.COMPLETED).exists():
        return RefundPreview(0, 0, "This purchase was already refunded.")
    assert purchase.product_id is not None  # every purchase names its product
    held = (
        InventoryItem.objects.filter(user_id=purchase.user_id, product_id=purchase.product_id)
        .values_list("quantity", flat=True)
        .first()
    )
    units = min(held or 0, purchase.quantity or 0)
    if units == 0:
        return RefundPreview(0, 0, "The player no longer holds any unit of this purchase.")
    return RefundPreview(units, units * (purchase.unit_price or 0), "")


def void_refusal(hold: Hold) -> str:
    """Why ledger.holds.void_hold would refuse this hold now, or an empty string."""
    if hold.status != HoldStatus.PENDING:
        return f"This hold is {hold.status}: only a pending hold can be voided."
    return ""
