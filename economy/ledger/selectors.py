from datetime import datetime

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce

from economy.accounts.models import User

from .models import CREDIT_KINDS, DEBIT_KINDS, Kind, Status, Transaction

TRANSACTION_FIELDS = (
    "id",
    "user_id",
    "product_id",
    "kind",
    "amount",
    "quantity",
    "unit_price",
    "status",
    "failure_reason",
    "reason",
    "refund_of_id",
    "created_at",
)

# The signed sum of completed ledger rows: what a balance must equal.
LEDGER_SUM = Coalesce(
    Sum(
        Case(
            When(kind__in=CREDIT_KINDS, then=F("amount")),
            When(kind__in=DEBIT_KINDS, then=-F("amount")),
            default=0,
            output_field=IntegerField(),
        ),
        filter=Q(status=Status.COMPLETED),
    ),
    0,
)


def transactions_for_user(*, user_id: int) -> QuerySet[Transaction]:
    """A user's ledger, product names joined in the same query."""
    return (
        Transaction.objects.filter(user_id=user_id)
        .select_related("product")
        .only(*TRANSACTION_FIELDS, "product__name")
    )


def ledger_balance(*, user_id: int) -> int:
    return Transaction.objects.filter(user_id=user_id).aggregate(total=LEDGER_SUM)["total"]


def users_with_ledger_balance(users: QuerySet[User] | None = None) -> QuerySet[User]:
    """Users annotated with `ledger_total`, computed per user by one correlated subquery."""
    users = User.objects.all() if users is None else users
    per_user = (
        Transaction.objects.filter(user_id=OuterRef("pk"))
        .order_by()
        .values("user_id")
        .annotate(total=LEDGER_SUM)
        .values("total")
    )
    return users.annotate(ledger_total=Coalesce(Subquery(per_user), 0)).only(
        "id", "username", "balance"
    )


def ledger_drift(users: QuerySet[User] | None = None) -> QuerySet[User]:
    """Users whose balance differs from their ledger: empty when the books are right."""
    return users_with_ledger_balance(users).exclude(balance=F("ledger_total"))


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
