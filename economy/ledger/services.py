"""Every change of a balance goes through here, beside the ledger row that explains it."""

from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
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


class LockedUser(NamedTuple):
    pk: int
    balance: int


# SELECT ... FOR UPDATE, what select_for_update() sends, in SQL written once: the ORM spent a
# sixth of a purchase's CPU building it (README, Performance). SQLite has no row locks and
# needs none: its IMMEDIATE transactions take the database's write lock at BEGIN.
_LOCK_SQL = f"SELECT balance FROM {User._meta.db_table} WHERE id = %s"  # noqa: S608


def lock_user(user_id):
    """Lock the user row for the rest of the transaction and return its balance; always the
    first lock taken. Raises User.DoesNotExist."""
    if connection.get_autocommit():
        raise TransactionManagementError("lock_user() outside a transaction locks nothing.")
    sql = _LOCK_SQL
    if connection.features.has_select_for_update:
        sql = f"{sql} {connection.ops.for_update_sql()}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        raise User.DoesNotExist(f"No user {user_id}.")
    return LockedUser(user_id, row[0])


class BalanceChange(NamedTuple):
    transaction: Transaction
    balance: int


# Every ledger row, and the balance change beside it, is written by the SQL below, built once
# per process: it runs on every purchase and top-up, and building it through the ORM cost
# more CPU than PostgreSQL spends running it (README, Performance).
_BALANCE_SQL = f"UPDATE {User._meta.db_table} SET balance = balance + %s WHERE id = %s"  # noqa: S608
_ROW_FIELDS = [field for field in Transaction._meta.concrete_fields if not field.primary_key]
_INSERT_ROW_SQL = (
    f"INSERT INTO {Transaction._meta.db_table} "  # noqa: S608
    f"({', '.join(field.column for field in _ROW_FIELDS)}) "
    f"VALUES ({', '.join(['%s'] * len(_ROW_FIELDS))}) RETURNING id"
)
# On PostgreSQL the balance UPDATE rides in the INSERT's statement: a data-modifying WITH runs
# exactly once and to completion, read or not. One round trip instead of two.
_BALANCE_AND_ROW_SQL = f"WITH balance AS ({_BALANCE_SQL}) {_INSERT_ROW_SQL}"


def _write(*, balance_change=0, **fields):
    """INSERT a ledger row and return it, as Transaction.objects.create(**fields) would. With
    `balance_change` (< 0 debits), the row's user's balance moves by it in the same
    transaction; the caller holds the user lock."""
    if balance_change and connection.get_autocommit():
        raise TransactionManagementError("A balance change outside a transaction.")
    row = Transaction(created_at=timezone.now(), **fields)
    values = [
        field.get_db_prep_save(getattr(row, field.attname), connection) for field in _ROW_FIELDS
    ]
    with connection.cursor() as cursor:
        if not balance_change:
            cursor.execute(_INSERT_ROW_SQL, values)
        elif connection.vendor == "postgresql":
            cursor.execute(_BALANCE_AND_ROW_SQL, [balance_change, row.user_id, *values])
        else:
            cursor.execute(_BALANCE_SQL, [balance_change, row.user_id])
            cursor.execute(_INSERT_ROW_SQL, values)
        row.pk = cursor.fetchone()[0]
    row._state.adding = False
    return row


def _credit(*, user_id, amount, **fields):
    """Credit a balance and write the completed ledger row, atomically, under the user lock.

    Raises User.DoesNotExist for an unknown user."""
    with transaction.atomic(savepoint=False):
        return _credit_locked(user=lock_user(user_id), amount=amount, **fields)


def _credit_locked(*, user, amount, **fields):
    """The credit itself; `user` is the row the caller locked with lock_user()."""
    row = _write(
        balance_change=amount, user_id=user.pk, amount=amount, status=Status.COMPLETED, **fields
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


def _purchase_row(*, user_id, product, quantity, idempotency_key):
    """The fields every purchase row has, completed or refused: the unit price of the moment."""
    return {
        "user_id": user_id,
        "product": product,
        "kind": Kind.PURCHASE,
        "amount": product.price * quantity,
        "quantity": quantity,
        "unit_price": product.price,
        "idempotency_key": idempotency_key or "",
    }


def debit_purchase(*, user_id, product, quantity, idempotency_key=""):
    """Debit a purchase and write its completed row. The caller holds the user lock and has
    checked the balance covers it (the CHECK balance >= 0 refuses an overdraft anyway)."""
    fields = _purchase_row(
        user_id=user_id, product=product, quantity=quantity, idempotency_key=idempotency_key
    )
    return _write(balance_change=-fields["amount"], status=Status.COMPLETED, **fields)


def record_failed_purchase(*, user_id, product, quantity, reason, idempotency_key=""):
    """Keep a refused purchase in the ledger so support can see what the player tried. Written
    outside the refused transaction: it moves no money."""
    fields = _purchase_row(
        user_id=user_id, product=product, quantity=quantity, idempotency_key=idempotency_key
    )
    return _write(status=Status.FAILED, failure_reason=reason, **fields)
