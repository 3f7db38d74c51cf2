"""Purchases, uses and refunds: the writes that change what a player holds."""

from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from economy.catalog import selectors as catalog
from economy.common.exceptions import (
    AlreadyOwned,
    InsufficientFunds,
    InsufficientQuantity,
    InvalidInput,
    NotConsumable,
    NotInInventory,
    NotRefundable,
    ProductUnavailable,
)
from economy.ledger import services as ledger
from economy.ledger.models import Kind, Status, Transaction

from . import cache
from .models import InventoryItem

_TABLE = InventoryItem._meta.db_table


class PurchaseResult(NamedTuple):
    transaction: Transaction
    quantity_held: int
    balance: int


# One statement that creates the row or adds to it, locking it either way. Portable to
# PostgreSQL and SQLite (ON CONFLICT ... RETURNING).
_UPSERT_SQL = f"""
    INSERT INTO {_TABLE} (user_id, product_id, quantity, purchased_at, updated_at)
    VALUES (%s, %s, %s, %s, %s)
    ON CONFLICT (user_id, product_id)
    DO UPDATE SET quantity = {_TABLE}.quantity + EXCLUDED.quantity,
                  updated_at = EXCLUDED.updated_at
    RETURNING quantity
"""  # noqa: S608 (no user input in the table name)


def _invalidate_on_commit(user_id):
    transaction.on_commit(lambda: cache.invalidate(user_id))


def _get_product(product_id):
    product = catalog.get_product(product_id)
    if not product.is_active:
        raise ProductUnavailable(product_id=product.pk)
    return product


def _validate_quantity(product, quantity):
    limit = settings.ECONOMY_MAX_PURCHASE_QUANTITY
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= limit:
        raise InvalidInput(quantity=[f"Ensure this value is between 1 and {limit}."])
    if not product.is_consumable and quantity != 1:
        raise InvalidInput(
            "A permanent item is bought one at a time.",
            quantity=["Must be 1 for a permanent item."],
        )


def purchase_product(*, user_id, product_id, quantity=1, idempotency_key=""):
    """Buy `quantity` units of a product for a user, all or nothing.

    Guarantees: under the user's row lock, the balance is debited, the inventory row created
    or added to, and a completed `purchase` row written with the unit price paid, in one
    transaction. Concurrent purchases by one user are serialised by that lock, so they never
    overspend or lose an update. A refusal for funds or ownership changes nothing but leaves
    a `failed` ledger row. The inventory cache is invalidated on commit only.

    Raises Product.DoesNotExist, ProductUnavailable, InvalidInput, AlreadyOwned,
    InsufficientFunds.
    """
    product = _get_product(product_id)
    _validate_quantity(product, quantity)
    cost = product.price * quantity
    refusal = None
    # No savepoint: every check comes before the first write, and a refusal is raised only
    # once the block is left, so the caller's transaction (idempotency) stays usable.
    with transaction.atomic(savepoint=False):
        user = ledger.lock_user(user_id)
        if (
            not product.is_consumable
            and InventoryItem.objects.filter(
                user_id=user_id, product_id=product.pk, quantity__gt=0
            ).exists()
        ):
            refusal = AlreadyOwned(product_id=product.pk)
        elif user.balance < cost:
            refusal = InsufficientFunds(balance=user.balance, price=cost)
        else:
            now = timezone.now()
            with connection.cursor() as cursor:
                cursor.execute(_UPSERT_SQL, [user_id, product.pk, quantity, now, now])
                held = cursor.fetchone()[0]
            purchase = ledger.debit_purchase(
                user_id=user_id, product=product, quantity=quantity, idempotency_key=idempotency_key
            )
            _invalidate_on_commit(user_id)
    if refusal is not None:
        ledger.record_failed_purchase(
            user_id=user_id,
            product=product,
            quantity=quantity,
            reason=refusal.code,
            idempotency_key=idempotency_key,
        )
        raise refusal
    return PurchaseResult(purchase, held, user.balance - cost)


def use_product(*, user_id, product_id, quantity=1):
    """Consume units of a consumable the user holds. Returns the units left.

    One conditional UPDATE takes them (quantity >= wanted), so concurrent uses of the last unit
    cannot both succeed and the quantity never goes below 0 (a CHECK holds that too). It locks
    a single row, so it needs no user lock and cannot deadlock with a purchase.

    Raises Product.DoesNotExist, InvalidInput, NotConsumable, NotInInventory,
    InsufficientQuantity.
    """
    product = catalog.get_product(product_id)
    if not product.is_consumable:
        raise NotConsumable(product_id=product.pk)
    _validate_quantity(product, quantity)
    items = InventoryItem.objects.filter(user_id=user_id, product_id=product.pk)
    with transaction.atomic(savepoint=False):
        updated = items.filter(quantity__gte=quantity).update(
            quantity=F("quantity") - quantity, updated_at=timezone.now()
        )
        if updated:
            _invalidate_on_commit(user_id)
            return items.values_list("quantity", flat=True).get()
    held = items.values_list("quantity", flat=True).first()
    if not held:
        raise NotInInventory(product_id=product.pk)
    raise InsufficientQuantity(product_id=product.pk, held=held, requested=quantity)


def refund_purchase(*, transaction_id, reason, staff=None):
    """Refund a completed purchase, at most once, even under concurrent refunds.

    The units the player still holds, up to the number bought, are taken out of the inventory
    and credited back at the price paid (a consumable partly used is refunded pro rata for the
    units left; one fully used is refused). A `refund` row linked to the purchase records it.
    The UNIQUE constraint on refunds per purchase backs the check made under the user lock.

    Raises Transaction.DoesNotExist, InvalidInput, NotRefundable.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A reason is required.", reason=["This field is required."])
    purchase = Transaction.objects.get(pk=transaction_id)
    if purchase.kind != Kind.PURCHASE or purchase.status != Status.COMPLETED:
        raise NotRefundable(
            "Only a completed purchase can be refunded.", transaction_id=purchase.pk
        )
    refusal = None
    with transaction.atomic(savepoint=False):
        buyer = ledger.lock_user(purchase.user_id)
        if purchase.refunds.filter(status=Status.COMPLETED).exists():
            refusal = NotRefundable(
                "This purchase was already refunded.", transaction_id=purchase.pk
            )
        else:
            item = (
                InventoryItem.objects.select_for_update()
                .filter(user_id=purchase.user_id, product_id=purchase.product_id)
                .first()
            )
            units = min(item.quantity if item else 0, purchase.quantity)
            if units == 0:
                refusal = NotRefundable(
                    "The player no longer holds any unit of this purchase.",
                    transaction_id=purchase.pk,
                )
            else:
                InventoryItem.objects.filter(pk=item.pk).update(
                    quantity=F("quantity") - units, updated_at=timezone.now()
                )
                refund = ledger.credit_refund(
                    user=buyer, purchase=purchase, quantity=units, reason=reason, staff=staff
                )
                _invalidate_on_commit(purchase.user_id)
    if refusal is not None:
        raise refusal
    return refund
