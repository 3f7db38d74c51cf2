"""Every change of a balance goes through here, beside the ledger row that explains it."""

from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from economy.common.exceptions import InvalidInput

from .models import Kind, Status, Transaction

User = get_user_model()


def validate_amount(amount, *, limit=None):
    """An amount of currency to credit: an integer in 1..limit (ECONOMY_MAX_DEPOSIT)."""
    limit = settings.ECONOMY_MAX_DEPOSIT if limit is None else limit
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput("The amount must be an integer.", amount=["Must be an integer."])
    if not 0 < amount <= limit:
        raise InvalidInput(
            f"The amount must be between 1 and {limit}.",
            amount=[f"Ensure this value is between 1 and {limit}."],
        )
    return amount


def lock_user(user_id):
    """Lock the user row for the rest of the transaction; always the first lock taken."""
    return User.objects.select_for_update().only("id", "balance").get(pk=user_id)


class BalanceChange(NamedTuple):
    transaction: Transaction
    balance: int


def _credit(*, user_id, amount, **fields):
    """Credit a balance and write the completed ledger row, atomically, under the user lock.

    Raises User.DoesNotExist for an unknown user."""
    with transaction.atomic(savepoint=False):
        return _credit_locked(user=lock_user(user_id), amount=amount, **fields)


def _credit_locked(*, user, amount, **fields):
    """The credit itself; `user` is the row the caller locked with lock_user()."""
    User.objects.filter(pk=user.pk).update(balance=F("balance") + amount)
    row = Transaction.objects.create(
        user_id=user.pk, amount=amount, status=Status.COMPLETED, **fields
    )
    return BalanceChange(row, user.balance + amount)


def add_funds(*, user_id, amount, actor=None, idempotency_key=""):
    """Credit a top-up from a trusted backend: a completed `deposit` row and the balance, or
    neither. Raises InvalidInput for an amount outside 1..ECONOMY_MAX_DEPOSIT and
    User.DoesNotExist for an unknown user."""
    validate_amount(amount)
    return _credit(
        user_id=user_id,
        amount=amount,
        kind=Kind.DEPOSIT,
        created_by=actor,
        idempotency_key=idempotency_key or "",
    )


def grant_funds(*, user_id, amount, reason, staff=None):
    """Credit a balance by hand (support): a completed `adjustment` row carrying the reason and
    the staff member, and the balance, or neither. Same limits as add_funds."""
    validate_amount(amount)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A reason is required.", reason=["This field is required."])
    return _credit(
        user_id=user_id,
        amount=amount,
        kind=Kind.ADJUSTMENT,
        reason=reason,
        created_by=staff,
    )


def credit_refund(*, user, purchase, quantity, reason="", staff=None):
    """Credit back `quantity` units of a purchase at the price paid. `user` is the buyer's row,
    locked by the caller, who has taken the units out of the inventory in the same
    transaction."""
    return _credit_locked(
        user=user,
        amount=quantity * purchase.unit_price,
        kind=Kind.REFUND,
        product_id=purchase.product_id,
        quantity=quantity,
        unit_price=purchase.unit_price,
        refund_of=purchase,
        reason=reason,
        created_by=staff,
    )


# A purchase's two writes, in SQL written once. They run on every purchase, and building them
# through the ORM cost more CPU than PostgreSQL spends running them (README, Performance).
_DEBIT_SQL = f"UPDATE {User._meta.db_table} SET balance = balance - %s WHERE id = %s"  # noqa: S608
_PURCHASE_COLUMNS = (
    "user_id", "product_id", "kind", "amount", "quantity", "unit_price", "status",
    "failure_reason", "reason", "idempotency_key", "created_at",
)  # fmt: skip
_INSERT_PURCHASE_SQL = (
    f"INSERT INTO {Transaction._meta.db_table} ({', '.join(_PURCHASE_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * len(_PURCHASE_COLUMNS))}) RETURNING id"
)


def debit_purchase(*, user_id, product, quantity, idempotency_key=""):
    """Debit a purchase and write its completed row. The caller holds the user lock and has
    checked the balance covers it (the CHECK balance >= 0 refuses an overdraft anyway)."""
    row = Transaction(
        user_id=user_id,
        product=product,
        kind=Kind.PURCHASE,
        amount=product.price * quantity,
        quantity=quantity,
        unit_price=product.price,
        status=Status.COMPLETED,
        idempotency_key=idempotency_key or "",
        created_at=timezone.now(),
    )
    with connection.cursor() as cursor:
        cursor.execute(_DEBIT_SQL, [row.amount, user_id])
        cursor.execute(_INSERT_PURCHASE_SQL, [getattr(row, c) for c in _PURCHASE_COLUMNS])
        row.pk = cursor.fetchone()[0]
    row._state.adding = False
    return row


def record_failed_purchase(*, user_id, product, quantity, reason, idempotency_key=""):
    """Keep a refused purchase in the ledger so support can see what the player tried. Written
    outside the refused transaction: it moves no money."""
    return Transaction.objects.create(
        user_id=user_id,
        product=product,
        kind=Kind.PURCHASE,
        amount=product.price * quantity,
        quantity=quantity,
        unit_price=product.price,
        status=Status.FAILED,
        failure_reason=reason,
        idempotency_key=idempotency_key or "",
    )
