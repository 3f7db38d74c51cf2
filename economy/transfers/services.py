"""Transfers: currency or items from one player to another, both sides or neither.

A currency transfer locks both wallets (ledger.lock_wallets, the global order: wallets by id),
checks the rules and posts one ledger row from the sender to the receiver. An item transfer
locks both players' inventory rows of the product (by user id: inventory/locks.py) and moves
the units. Either writes its Transfer row and its `transfer.completed` event in the same
transaction. As in ledger/services.py, each decides inside its atomic(savepoint=False) block and
raises once the block is left, so a refusal changes nothing and the caller's transaction (the
Idempotency-Key's) stays usable to record it.

Trusted backends move anything between anyone (an accepted trade, a guild payout). A player's
own transfer (`trusted=False`) must be of a giftable currency or product, and a currency's
within its daily limit: what the player sent in it since the start of the UTC day, counted under
the sender's wallet lock so that parallel transfers cannot together exceed it.
"""

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from economy.accounts.models import User
from economy.catalog import selectors as catalog
from economy.catalog.models import Currency, Product
from economy.common import replicas
from economy.common.exceptions import (
    AlreadyOwned,
    DomainError,
    InsufficientQuantity,
    NotInInventory,
    NotTransferable,
)
from economy.events import outbox
from economy.events.models import EventType
from economy.inventory import cache as inventory_cache
from economy.inventory import locks as inventory_locks
from economy.inventory import services as inventory
from economy.inventory.models import InventoryItem
from economy.ledger import services as ledger
from economy.ledger.models import Kind, Wallet

from . import selectors
from .models import Transfer


class CurrencyTransfer(NamedTuple):
    transfer: Transfer
    sender: Wallet  # both wallets after the transfer
    receiver: Wallet


class Holding(NamedTuple):
    user_id: int
    product_id: int
    quantity: int


class ItemTransfer(NamedTuple):
    transfer: Transfer
    sender: Holding  # what each party holds of the product after the transfer
    receiver: Holding


def transfer_currency(
    *,
    from_user_id: int,
    to_user_id: int,
    currency: Currency,
    amount: int,
    actor: User,
    trusted: bool = False,
    reason: str = "",
    idempotency_key: str = "",
) -> CurrencyTransfer:
    """Move `amount` of `currency` from one player to another: one completed `transfer` ledger
    row from the sender's wallet to the receiver's, which both see in their history, with its
    Transfer row and event, or nothing at all.

    Both wallets are locked in the global order (by id), so transfers in opposite directions
    between the same players never deadlock; the sender's lock serialises its transfers, so
    its funds and its daily limit are never overspent. A wallet opened on first use keeps its
    initial grant whatever the outcome, as with every movement of currency.

    Raises InvalidInput (the amount), User.DoesNotExist, NotTransferable (to oneself; a
    player's: not giftable, over the daily limit), InsufficientFunds, BalanceLimitExceeded.
    """
    ledger.validate_amount(amount)
    _check_parties(from_user_id, to_user_id)
    if not trusted and not currency.is_giftable:
        raise NotTransferable(
            f"Players may not send {currency.code} to one another.",
            reason="not_giftable",
            currency=currency.code,
        )
    with transaction.atomic(savepoint=False):
        wallets = ledger.lock_wallets([(from_user_id, currency), (to_user_id, currency)])
        sender = wallets[from_user_id, currency.pk]
        receiver = wallets[to_user_id, currency.pk]
        refusal: DomainError | None = ledger.shortfall(sender, amount)
        refusal = refusal or ledger.overflow(receiver, amount)
        if refusal is None and not trusted:
            refusal = _over_daily_limit(from_user_id, currency, amount)
        if refusal is None:
            row = ledger.post(
                debit=sender,
                credit=receiver,
                amount=amount,
                kind=Kind.TRANSFER,
                reason=reason,
                created_by=actor,
                idempotency_key=idempotency_key,
            )
            record = Transfer.objects.create(
                from_user_id=from_user_id,
                to_user_id=to_user_id,
                currency=currency,
                amount=amount,
                transaction=row,
                reason=reason,
                created_by=actor,
                idempotency_key=idempotency_key,
            )
            result = CurrencyTransfer(record, sender, receiver)
            outbox.record(EventType.TRANSFER_COMPLETED, result, user_id=from_user_id)
            replicas.wrote(to_user_id)
            return result
    raise refusal


def transfer_items(
    *,
    from_user_id: int,
    to_user_id: int,
    product_id: int,
    quantity: int = 1,
    actor: User,
    trusted: bool = False,
    reason: str = "",
    idempotency_key: str = "",
) -> ItemTransfer:
    """Move `quantity` units of a product from one player's inventory to another's, with its
    Transfer row and event, or nothing at all. Both inventory caches are invalidated on commit.

    Both rows are locked in one statement in user id order (inventory/locks.py), so moves in
    opposite directions never deadlock and concurrent moves of the last unit succeed once. A
    permanent moves one at a time, to a player that does not already own it: a receiver with no
    row gets one from the statement that delivers (inventory.deliver_units), which a purchase
    or another gift racing this one waits on, so that it never lands twice.

    Raises InvalidInput (the quantity), User.DoesNotExist, Product.DoesNotExist,
    QuantityNotAllowed, NotTransferable (to oneself; a player's, of a product that is not
    giftable; a time-limited item), NotInInventory, InsufficientQuantity, AlreadyOwned.
    """
    _check_parties(from_user_id, to_user_id)
    product = catalog.get_product(product_id)
    inventory.validate_quantity(product, quantity)
    if not trusted and not product.is_giftable:
        raise NotTransferable(
            "Players may not send this product to one another.",
            reason="not_giftable",
            product_id=product.pk,
        )
    if product.is_time_limited:
        # Its time was bought by the sender: moving it would have to split it, and a delivery
        # would start it afresh.
        raise NotTransferable(
            "A time-limited item cannot be sent to another player.",
            reason="time_limited",
            product_id=product.pk,
        )
    with transaction.atomic(savepoint=False):
        rows = inventory_locks.inventory_items_for_update(
            product_id=product.pk, user_ids=[from_user_id, to_user_id]
        )
        refusal = _cannot_move(product, rows.get(from_user_id), rows.get(to_user_id), quantity)
        if refusal is None:
            delivered = inventory.deliver_units(
                user_id=to_user_id, product=product, quantity=quantity, row=rows.get(to_user_id)
            )
            if delivered is not None:
                held = delivered.held
                left = _take_units(rows[from_user_id], quantity)
                record = Transfer.objects.create(
                    from_user_id=from_user_id,
                    to_user_id=to_user_id,
                    product=product,
                    quantity=quantity,
                    reason=reason,
                    created_by=actor,
                    idempotency_key=idempotency_key,
                )
                result = ItemTransfer(
                    record,
                    Holding(from_user_id, product.pk, left),
                    Holding(to_user_id, product.pk, held),
                )
                outbox.record(EventType.TRANSFER_COMPLETED, result, user_id=from_user_id)
                replicas.wrote(to_user_id)
                inventory_cache.invalidate_on_commit(from_user_id)
                inventory_cache.invalidate_on_commit(to_user_id)
                return result
            # The receiver had no row, and a delivery racing this one has just given it the item.
            refusal = _already_owned(product)
    raise refusal


# --- the pieces -------------------------------------------------------------------------------


def _check_parties(from_user_id: int, to_user_id: int) -> None:
    """Raises User.DoesNotExist unless both users exist, then NotTransferable if they are one:
    a well-formed body whose ids name the same user (the schema cannot state that rule, so it
    is a 409 like every refusal the schema does not announce, not a 400)."""
    parties = {from_user_id, to_user_id}
    if User.objects.filter(pk__in=parties).count() != len(parties):
        raise User.DoesNotExist("No such user.")
    if from_user_id == to_user_id:
        raise NotTransferable(
            "A transfer goes to another user.", reason="same_user", user_id=to_user_id
        )


def _start_of_day(now: datetime) -> datetime:
    """The start of the UTC day `now` falls in: when daily transfer limits reset."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _over_daily_limit(user_id: int, currency: Currency, amount: int) -> NotTransferable | None:
    """The refusal when `amount` takes what the player sent today above the currency's daily
    limit, else None. Called under the sender's wallet lock."""
    today = _start_of_day(timezone.now())
    sent = selectors.sent_since(user_id=user_id, currency=currency, since=today)
    limit = currency.transfer_limit
    if sent + amount <= limit:
        return None
    return NotTransferable(
        f"This would take what you sent of {currency.code} today above the daily limit.",
        reason="daily_limit_reached",
        currency=currency.code,
        limit=limit,
        sent_today=sent,
        requested=amount,
        resets_at=(today + timedelta(days=1)).isoformat(),
    )


def _cannot_move(
    product: Product,
    sender: InventoryItem | None,
    receiver: InventoryItem | None,
    quantity: int,
) -> DomainError | None:
    """The refusal of moving `quantity` units between these (locked) rows, else None."""
    held = sender.quantity if sender is not None else 0
    if held == 0:
        return NotInInventory(product_id=product.pk)
    if held < quantity:
        return InsufficientQuantity(product_id=product.pk, held=held, requested=quantity)
    if not product.is_consumable and receiver is not None and receiver.quantity > 0:
        return _already_owned(product)
    return None


def _already_owned(product: Product) -> AlreadyOwned:
    return AlreadyOwned("The receiver already owns this permanent item.", product_id=product.pk)


def _take_units(item: InventoryItem, quantity: int) -> int:
    """Take `quantity` units out of the locked row; the units left."""
    InventoryItem.objects.filter(pk=item.pk).update(
        quantity=F("quantity") - quantity, updated_at=timezone.now()
    )
    return item.quantity - quantity
