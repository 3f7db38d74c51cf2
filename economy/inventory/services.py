"""Purchases, uses and refunds: the writes that change what a player holds."""

from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from economy.catalog import selectors as catalog
from economy.catalog.models import Product
from economy.common.exceptions import (
    AlreadyOwned,
    DomainError,
    InsufficientQuantity,
    InvalidInput,
    NotConsumable,
    NotInInventory,
    NotRefundable,
    ProductUnavailable,
    QuantityNotAllowed,
)
from economy.events import outbox
from economy.events.models import EventType
from economy.ledger import services as ledger
from economy.ledger.models import Kind, Status, Transaction, Wallet

from . import cache, locks, statements
from .models import InventoryItem


class PurchaseResult(NamedTuple):
    transaction: Transaction
    quantity_held: int
    wallet: Wallet  # the buyer's wallet in the price currency, after the purchase (or refund)


class ItemUse(NamedTuple):
    user_id: int
    product: Product
    used: int
    quantity_left: int


def _product_for_sale(product_id: int) -> Product:
    product = catalog.get_product(product_id)
    if not (product.is_active and product.price_currency.is_active):
        raise ProductUnavailable(product_id=product.pk)
    return product


def validate_quantity(product: Product, quantity: int) -> None:
    """A number of units of `product` to move: 1..ECONOMY_MAX_PURCHASE_QUANTITY (InvalidInput
    otherwise), and exactly 1 of a permanent (QuantityNotAllowed otherwise)."""
    limit = settings.ECONOMY_MAX_PURCHASE_QUANTITY
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= limit:
        raise InvalidInput(quantity=[f"Ensure this value is between 1 and {limit}."])
    if not product.is_consumable and quantity != 1:
        # The body is well formed: the product it is for says no (409, not 400).
        raise QuantityNotAllowed(product_id=product.pk, quantity=quantity)


def purchase_product(
    *, user_id: int, product_id: int, quantity: int = 1, idempotency_key: str = ""
) -> PurchaseResult:
    """Buy `quantity` units of a product for a player, all or nothing.

    Guarantees: under the lock of the player's wallet in the price currency, then of its
    inventory row (the global lock order), ownership and funds are checked, the units are
    delivered and price x quantity moves from the wallet to sink:store, with the unit price
    paid, in one transaction with its `purchase.completed` event. Purchases of one player are
    serialised by that lock, so they never overspend or lose an update; purchases of different
    players share no row. A refusal for funds or ownership changes nothing but leaves a `failed`
    ledger row and its `purchase.refused` event, committed together. The inventory cache is
    invalidated on commit only.

    Raises Product.DoesNotExist, ProductUnavailable, InvalidInput, AlreadyOwned,
    InsufficientFunds.
    """
    product = _product_for_sale(product_id)
    validate_quantity(product, quantity)
    refusal: DomainError | None = None
    # No savepoint: every check comes before the first write, and a refusal is raised only
    # once the block is left (with its `failed` row), so the caller's transaction stays usable.
    with transaction.atomic(savepoint=False):
        wallet = ledger.lock_wallet(user_id=user_id, currency=product.price_currency)
        if not product.is_consumable and _owns(user_id=user_id, product=product):
            refusal = AlreadyOwned(product_id=product.pk)
        else:
            refusal = ledger.shortfall(wallet, product.price * quantity)
        if refusal is None:
            held = deliver_units(user_id=user_id, product=product, quantity=quantity)
            if held is not None:
                purchase = ledger.pay_for_purchase(
                    wallet=wallet,
                    product=product,
                    quantity=quantity,
                    idempotency_key=idempotency_key,
                )
                result = PurchaseResult(purchase, held, wallet)
                outbox.record(EventType.PURCHASE_COMPLETED, result, user_id=user_id)
                cache.invalidate_on_commit(user_id)
                return result
            # A gift of the permanent landed since _owns looked: nothing was added.
            refusal = AlreadyOwned(product_id=product.pk)
    # The failed row and its event commit together: in the caller's transaction, or in one of
    # their own when there is none. The wallet is as the refusal found it.
    with transaction.atomic(savepoint=False):
        failed = ledger.record_failed_purchase(
            wallet=wallet,
            product=product,
            quantity=quantity,
            failure=refusal.code,
            idempotency_key=idempotency_key,
        )
        outbox.record(
            EventType.PURCHASE_REFUSED, ledger.BalanceChange(failed, wallet), user_id=user_id
        )
    raise refusal


def deliver_units(*, user_id: int, product: Product, quantity: int) -> int | None:
    """Add `quantity` units of `product` to the player's inventory, its row locked from then on;
    the units now held. None, with nothing added, for a permanent the player already owns:
    found by the statement itself, so that a delivery racing this one (a gift arriving while
    the player buys it) cannot make the player own it twice."""
    if product.is_consumable:
        return statements.add_units(user_id=user_id, product_id=product.pk, quantity=quantity)
    return statements.add_units_up_to(
        user_id=user_id, product_id=product.pk, quantity=quantity, most=1
    )


def _owns(*, user_id: int, product: Product) -> bool:
    """Whether the player holds the permanent product; its row, if any, locked from then on."""
    item = locks.inventory_item_for_update(user_id=user_id, product_id=product.pk)
    return item is not None and item.quantity > 0


def use_product(*, user_id: int, product_id: int, quantity: int = 1) -> int:
    """Consume units of a consumable the player holds, with an `item.used` event. Returns the
    units left.

    One conditional UPDATE takes them (quantity >= wanted), so concurrent uses of the last unit
    cannot both succeed and the quantity never goes below 0 (a CHECK holds that too). It locks
    only the inventory row, which comes after every wallet in the lock order.

    Raises Product.DoesNotExist, InvalidInput, NotConsumable, NotInInventory,
    InsufficientQuantity.
    """
    product = catalog.get_product(product_id)
    if not product.is_consumable:
        raise NotConsumable(product_id=product.pk)
    validate_quantity(product, quantity)
    items = InventoryItem.objects.filter(user_id=user_id, product_id=product.pk)
    # No savepoint, as in purchase_product: a refusal is raised after the block.
    with transaction.atomic(savepoint=False):
        updated = items.filter(quantity__gte=quantity).update(
            quantity=F("quantity") - quantity, updated_at=timezone.now()
        )
        if updated:
            left = items.values_list("quantity", flat=True).get()
            outbox.record(
                EventType.ITEM_USED, ItemUse(user_id, product, quantity, left), user_id=user_id
            )
            cache.invalidate_on_commit(user_id)
            return left
    held = items.values_list("quantity", flat=True).first()
    if not held:
        raise NotInInventory(product_id=product.pk)
    raise InsufficientQuantity(product_id=product.pk, held=held, requested=quantity)


def refund_purchase(
    *, transaction_id: int, reason: str, staff: ledger.User | None = None
) -> Transaction:
    """Refund a completed purchase, at most once, even under concurrent refunds.

    The units the player still holds, up to the number bought, are taken out of the inventory
    and credited back at the price paid, from sink:store (a consumable partly used is refunded
    pro rata for the units left; one fully used is refused). A `refund` row linked to the
    purchase records it, with its `purchase.refunded` event; a refusal writes neither. The
    UNIQUE constraint on refunds per purchase backs the check made under the wallet lock.

    Raises Transaction.DoesNotExist, InvalidInput, NotRefundable, BalanceLimitExceeded.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A reason is required.", reason=["This field is required."])
    purchase = Transaction.objects.select_related("currency", "product").get(pk=transaction_id)
    if purchase.kind != Kind.PURCHASE or purchase.status != Status.COMPLETED:
        raise NotRefundable(
            "Only a completed purchase can be refunded.", transaction_id=purchase.pk
        )
    assert purchase.product_id is not None and purchase.quantity is not None  # a purchase's
    assert purchase.unit_price is not None  # (txn_purchase_priced)
    refusal: DomainError | None = None
    with transaction.atomic(savepoint=False):
        wallet = ledger.lock_wallet(user_id=purchase.user_id, currency=purchase.currency)
        item = locks.inventory_item_for_update(
            user_id=purchase.user_id, product_id=purchase.product_id
        )
        units = min(item.quantity if item else 0, purchase.quantity)
        if purchase.refunds.filter(status=Status.COMPLETED).exists():
            refusal = NotRefundable(
                "This purchase was already refunded.", transaction_id=purchase.pk
            )
        elif item is None or units == 0:
            refusal = NotRefundable(
                "The player no longer holds any unit of this purchase.",
                transaction_id=purchase.pk,
            )
        else:
            refusal = ledger.overflow(wallet, units * purchase.unit_price)
        if refusal is None and item is not None:
            InventoryItem.objects.filter(pk=item.pk).update(
                quantity=F("quantity") - units, updated_at=timezone.now()
            )
            refund = ledger.credit_refund(
                wallet=wallet, purchase=purchase, quantity=units, reason=reason, staff=staff
            )
            outbox.record(
                EventType.PURCHASE_REFUNDED,
                PurchaseResult(refund, item.quantity - units, wallet),
                user_id=purchase.user_id,
            )
            cache.invalidate_on_commit(purchase.user_id)
    if refusal is not None:
        raise refusal
    return refund
