"""Reads of the ledger: balances, a player's history, and the sums that reconcile the books."""

import heapq
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from economy.catalog.models import Currency
from economy.catalog.selectors import active_currencies
from economy.common.pagination import Position, from_position, newest_first

from .models import Hold, HoldStatus, Kind, Status, Transaction, Wallet


def balances_of(*, user_id: int) -> dict[str, dict[str, int]]:
    """{currency code: {"balance", "held", "available"}} for every active currency. A currency
    whose wallet has not opened yet shows what opening it will grant."""
    wallets = {
        wallet.currency_id: wallet
        for wallet in Wallet.objects.filter(owner_id=user_id, currency__is_active=True)
    }
    balances = {}
    for currency in active_currencies():
        wallet = wallets.get(currency.pk)
        balance, held = (wallet.balance, wallet.held) if wallet else (currency.initial_grant, 0)
        balances[currency.code] = {"balance": balance, "held": held, "available": balance - held}
    return balances


def player_wallets(*, user_id: int) -> QuerySet[Wallet]:
    return Wallet.objects.filter(owner_id=user_id).select_related("currency").order_by("pk")


# What a page of history shows (the API, the support desk, user_report): compiling and reading
# the joined tables' other columns was a large share of a history request (docs/performance.md).
HISTORY_FIELDS = [
    "id", "kind", "status", "amount", "quantity", "unit_price", "failure_reason", "reason",
    "refund_of_id", "created_at", "user_id", "counterparty_id", "currency__code",
    "debit_wallet__owner_id", "debit_wallet__name", "credit_wallet__owner_id",
    "credit_wallet__name", "product__name",
]  # fmt: skip


def history(
    *,
    user_id: int,
    kind: str | None = None,
    status: str | None = None,
    currency: str | None = None,
    after: Position | None = None,
    size: int = 20,
) -> list[Transaction]:
    """A page of a player's ledger, newest first: the rows it is the player of and the rows
    another player paid it. Each side is read from its own index, newest first, and the two are
    merged: two queries per page whatever the length of the history. `after` continues from a
    row, older rows by default, newer ones with `newer`; at most `size` rows."""
    rows = Transaction.objects.select_related(
        "currency", "debit_wallet", "credit_wallet", "product"
    ).only(*HISTORY_FIELDS)
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    if currency:
        rows = rows.filter(currency__code=currency)
    newer = after is not None and after.newer
    rows = from_position(rows, after)
    sides = [
        list(rows.filter(user_id=user_id)[:size]),
        list(rows.filter(counterparty_id=user_id)[:size]),
    ]
    merged = list(heapq.merge(*sides, key=_position, reverse=not newer))[:size]
    return merged[::-1] if newer else merged


def _holds() -> QuerySet[Hold]:
    return Hold.objects.select_related("wallet__currency", "destination", "capture__credit_wallet")


def hold(hold_id: int) -> Hold | None:
    return _holds().filter(pk=hold_id).first()


def holds_of(
    *, user_id: int, status: str | None = None, after: Position | None = None, size: int = 20
) -> list[Hold]:
    """A page of a player's holds, newest first, from its index; one query."""
    rows = _holds().filter(user_id=user_id)
    if status:
        rows = rows.filter(status=status)
    return newest_first(rows, after, size)


def _position(row: Transaction) -> tuple[datetime, int]:
    return (row.created_at, row.pk)


def _ledger_sum(wallet_field: str, **conditions: Any) -> Coalesce:
    """Σ amount of the outer wallet's rows on one side, as a correlated subquery (0 if none)."""
    rows = (
        Transaction.objects.filter(**{wallet_field: OuterRef("pk")}, **conditions)
        .order_by()
        .values(wallet_field)
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _pending_holds() -> Coalesce:
    """Σ amount of the outer wallet's pending holds, as a correlated subquery (0 if none)."""
    holds = (
        Hold.objects.filter(wallet=OuterRef("pk"), status=HoldStatus.PENDING)
        .order_by()
        .values("wallet")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(holds, output_field=IntegerField()), Value(0))


def wallets_with_ledger_totals(wallets: QuerySet[Wallet] | None = None) -> QuerySet[Wallet]:
    """Player wallets annotated with what their ledger rows say they hold: `ledger_balance`
    (completed credits - completed debits) and `ledger_held` (pending debits), and with
    `pending_holds`, what their pending holds reserve. Each is read in the same statement as
    the wallet, so a concurrent movement never shows as drift."""
    wallets = Wallet.objects.filter(owner__isnull=False) if wallets is None else wallets
    completed = {"status": Status.COMPLETED}
    return wallets.annotate(
        ledger_balance=_ledger_sum("credit_wallet", **completed)
        - _ledger_sum("debit_wallet", **completed),
        ledger_held=_ledger_sum("debit_wallet", status=Status.PENDING),
        pending_holds=_pending_holds(),
    ).select_related("currency", "owner")


def wallet_drift(wallets: QuerySet[Wallet] | None = None) -> QuerySet[Wallet]:
    """Player wallets whose balance or held differs from their ledger or their pending holds:
    empty when right."""
    return wallets_with_ledger_totals(wallets).exclude(
        Q(balance=F("ledger_balance")) & Q(held=F("ledger_held")) & Q(held=F("pending_holds"))
    )


def system_balances(*, currency: Currency | None = None) -> dict[tuple[str, str], int]:
    """{(currency code, wallet name): balance} of the system wallets, derived from the ledger
    (they store none): faucets negative as they issue, sinks positive as they absorb."""
    rows = Transaction.objects.filter(status=Status.COMPLETED)
    if currency is not None:
        rows = rows.filter(currency=currency)
    balances: dict[tuple[str, str], int] = {}
    for side, sign in (("credit_wallet", 1), ("debit_wallet", -1)):
        totals = (
            rows.filter(**{f"{side}__owner__isnull": True})
            .values(f"{side}__currency__code", f"{side}__name")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        for total in totals:
            key = (total[f"{side}__currency__code"], total[f"{side}__name"])
            balances[key] = balances.get(key, 0) + sign * total["total"]
    return balances


def currency_sums() -> dict[str, int]:
    """{currency code: Σ every wallet's balance}, players' stored and system wallets' derived.
    Currency is conserved: each is 0. On PostgreSQL its queries share one snapshot, so
    movements committed meanwhile never make it look off."""
    starts_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if starts_transaction and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _currency_sums()


def _currency_sums() -> dict[str, int]:
    sums = {currency.code: 0 for currency in Currency.objects.all()}
    for row in (
        Wallet.objects.filter(owner__isnull=False)
        .values("currency__code")
        .annotate(total=Sum("balance"))
        .order_by()
    ):
        sums[row["currency__code"]] += row["total"]
    for (code, _), balance in system_balances().items():
        sums[code] += balance
    return sums


def units_bought(*, user_id: int, since: dict[int, datetime | None]) -> dict[int, int]:
    """The units of each product (keys of `since`) the player bought in completed purchases
    since its datetime (None: ever), refunded ones included; one query per distinct start."""
    bought = dict.fromkeys(since, 0)
    by_start: dict[datetime | None, list[int]] = {}
    for product_id, start in since.items():
        by_start.setdefault(start, []).append(product_id)
    for start, product_ids in by_start.items():
        rows = Transaction.objects.filter(
            user_id=user_id,
            kind=Kind.PURCHASE,
            status=Status.COMPLETED,
            product_id__in=product_ids,
        )
        if start is not None:
            rows = rows.filter(created_at__gte=start)
        totals = rows.order_by().values("product_id").annotate(units=Sum("quantity"))
        bought.update({row["product_id"]: row["units"] for row in totals})
    return bought


def completed_purchases_of_product(*, since: datetime) -> Coalesce:
    """The number of completed purchases of the outer query's product since `since`, as a
    correlated subquery to annotate products with (the admin's product list)."""
    counted = (
        Transaction.objects.filter(
            product=OuterRef("pk"),
            kind=Kind.PURCHASE,
            status=Status.COMPLETED,
            created_at__gte=since,
        )
        .order_by()
        .values("product")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
