"""The economy dashboard's figures: per currency and UTC day, what the faucets issued and the
sinks absorbed, net issuance, currency in circulation, purchases and paying players, top
products, and the holds outstanding.

Every flow is read from the completed ledger rows whose debit or credit side is one of the
currency's system wallets, grouped by day: a wallet belongs to one currency, so the wallet ids
select the currency, and the indexes on (wallet, created_at) of completed rows answer each
query from the index alone (docs/performance.md). Figures of a range that ended before today
no longer change and are cached for CLOSED_TTL; a range that includes today, for LIVE_TTL.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from economy.catalog.models import Currency, Product
from economy.common import cache as safe_cache
from economy.ledger.models import Hold, HoldStatus, Kind, Status, SystemWallet, Transaction, Wallet

DEFAULT_DAYS = 30
MAX_DAYS = 366
TOP_PRODUCTS = 10
LIVE_TTL = 60  # seconds: a range that includes today, and the figures "now"
CLOSED_TTL = 24 * 3600  # seconds: a range that ended before today does not change
CACHE_VERSION = 2


@dataclass
class Flows:
    """What moved between the players and the system wallets, per day of the range."""

    days: list[date]
    issued: dict[str, list[int]]  # faucet name -> per day
    absorbed: dict[str, list[int]]  # sink name -> per day
    returned: list[int]  # currency back to players from sinks (refunds), per day
    taken_back: list[int]  # currency back into faucets (a refunded bundle's grants), per day
    purchases: list[int]
    paying_players: list[int]
    revenue: list[int]
    paying_players_in_range: int
    top_products: list[dict[str, Any]] = field(default_factory=list)

    @property
    def net(self) -> list[int]:
        """Net issuance per day: what reached the players less what left them."""
        return [
            sum(values[i] for values in self.issued.values())
            - sum(values[i] for values in self.absorbed.values())
            + self.returned[i]
            - self.taken_back[i]
            for i in range(len(self.days))
        ]


@dataclass
class Position:
    """The currency as it stands now."""

    circulation: int  # the sum of the players' balances
    held: int
    wallets: int
    holds_pending: int
    holds_amount: int
    net_since_range: int  # net issuance after the range's last day, up to now


@dataclass
class Figures:
    currency: Currency
    start: date
    end: date
    flows: Flows
    position: Position

    @property
    def circulation(self) -> list[int]:
        """Currency in circulation at the end of each day: today's, less what was issued
        after that day."""
        after = self.position.circulation - self.position.net_since_range
        shown = []
        for net in reversed(self.flows.net):
            shown.append(after)
            after -= net
        return shown[::-1]


def today() -> date:
    return timezone.now().astimezone(UTC).date()


def default_range() -> tuple[date, date]:
    end = today()
    return end - timedelta(days=DEFAULT_DAYS - 1), end


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _completed_between(start: datetime, end: datetime | None = None) -> QuerySet[Transaction]:
    rows = Transaction.objects.filter(status=Status.COMPLETED, created_at__gte=start)
    return rows.filter(created_at__lt=end) if end is not None else rows


def _per_day(rows: QuerySet[Transaction]) -> QuerySet:
    return rows.annotate(day=TruncDate("created_at", tzinfo=UTC)).order_by()


def system_wallets_of(currency: Currency) -> dict[int, str]:
    return dict(
        Wallet.objects.filter(owner__isnull=True, currency=currency).values_list("pk", "name")
    )


def compute_flows(*, currency: Currency, start: date, end: date) -> Flows:
    """The per-day flows of `currency` over [start, end] (UTC days, both included)."""
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    index = {day: i for i, day in enumerate(days)}
    system = system_wallets_of(currency)
    rows = _completed_between(_midnight(start), _midnight(end + timedelta(days=1)))

    def zeros() -> list[int]:
        return [0] * len(days)

    issued: dict[str, list[int]] = {}
    absorbed: dict[str, list[int]] = {}
    returned, taken_back = zeros(), zeros()
    debits = (
        _per_day(rows.filter(debit_wallet_id__in=system))
        .values("day", "debit_wallet_id")
        .annotate(total=Sum("amount"))
    )
    for row in debits:
        name = system[row["debit_wallet_id"]]
        if name.startswith("faucet:"):
            issued.setdefault(name, zeros())[index[row["day"]]] += row["total"]
        else:  # a sink (or escrow) paying back to a player: a refund
            returned[index[row["day"]]] += row["total"]
    credits = (
        _per_day(rows.filter(credit_wallet_id__in=system))
        .values("day", "credit_wallet_id")
        .annotate(total=Sum("amount"))
    )
    for row in credits:
        name = system[row["credit_wallet_id"]]
        if name.startswith("faucet:"):  # currency going back into a faucet: un-issued
            taken_back[index[row["day"]]] += row["total"]
        else:
            absorbed.setdefault(name, zeros())[index[row["day"]]] += row["total"]

    store = next((pk for pk, name in system.items() if name == SystemWallet.STORE), None)
    purchases = rows.filter(kind=Kind.PURCHASE, credit_wallet_id=store)
    per_day = (
        _per_day(purchases)
        .values("day")
        .annotate(
            purchases=Count("*"), players=Count("user_id", distinct=True), revenue=Sum("amount")
        )
    )
    bought, players, revenue = zeros(), zeros(), zeros()
    for row in per_day:
        i = index[row["day"]]
        bought[i], players[i], revenue[i] = row["purchases"], row["players"], row["revenue"]
    paying = purchases.aggregate(players=Count("user_id", distinct=True))["players"]

    return Flows(
        days=days,
        issued=dict(sorted(issued.items())),
        absorbed=dict(sorted(absorbed.items())),
        returned=returned,
        taken_back=taken_back,
        purchases=bought,
        paying_players=players,
        revenue=revenue,
        paying_players_in_range=paying,
        top_products=_top_products(purchases),
    )


def _top_products(purchases: QuerySet[Transaction]) -> list[dict[str, Any]]:
    top = list(
        purchases.values("product_id")
        .annotate(purchases=Count("*"), units=Sum("quantity"), revenue=Sum("amount"))
        .order_by("-purchases", "-units", "product_id")[:TOP_PRODUCTS]
    )
    names = dict(
        Product.objects.filter(pk__in=[row["product_id"] for row in top]).values_list("pk", "name")
    )
    return [{**row, "name": names.get(row["product_id"], "")} for row in top]


def compute_position(*, currency: Currency, end: date) -> Position:
    wallets = Wallet.objects.filter(owner__isnull=False, currency=currency).aggregate(
        circulation=Sum("balance", default=0), held=Sum("held", default=0), wallets=Count("*")
    )
    holds = Hold.objects.filter(status=HoldStatus.PENDING, wallet__currency=currency).aggregate(
        pending=Count("*"), amount=Sum("amount", default=0)
    )
    system = list(system_wallets_of(currency))
    after = _completed_between(_midnight(end + timedelta(days=1)))
    # One sum per side, each read from its wallet index.
    out = after.filter(debit_wallet_id__in=system).aggregate(total=Sum("amount", default=0))
    back = after.filter(credit_wallet_id__in=system).aggregate(total=Sum("amount", default=0))
    return Position(
        circulation=wallets["circulation"],
        held=wallets["held"],
        wallets=wallets["wallets"],
        holds_pending=holds["pending"],
        holds_amount=holds["amount"],
        net_since_range=out["total"] - back["total"],
    )


def _key(*parts: object) -> str:
    return ":".join(["dashboard", f"v{CACHE_VERSION}", *map(str, parts)])


def economy_figures(*, currency: Currency, start: date, end: date) -> Figures:
    """The dashboard's figures, from the cache when it holds them. A cache outage costs the
    queries, never the page."""
    closed = end < today()
    flows_key = _key("flows", currency.pk, start, end)
    flows = safe_cache.safe_get(flows_key)
    if flows is None:
        flows = compute_flows(currency=currency, start=start, end=end)
        safe_cache.safe_set(flows_key, flows, CLOSED_TTL if closed else LIVE_TTL)
    position_key = _key("position", currency.pk, end)
    position = safe_cache.safe_get(position_key)
    if position is None:
        position = compute_position(currency=currency, end=end)
        safe_cache.safe_set(position_key, position, LIVE_TTL)
    return Figures(currency=currency, start=start, end=end, flows=flows, position=position)
