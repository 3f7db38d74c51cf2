"""Purchases, uses and refunds: the writes that change what a player holds."""

from datetime import datetime, timedelta
from typing import NamedTuple, cast

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
    PurchaseLimitReached,
    QuantityNotAllowed,
)
from economy.events import outbox
from economy.events.models import EventType
from economy.ledger import services as ledger
from economy.ledger.models import Kind, Status, Transaction, Wallet

from . import cache, locks, selectors, statements
from .models import Delivery, InventoryItem


class Delivered(NamedTuple):
    """Units of a product a purchase put in the inventory: the units now held (1 for a
    permanent), and until when a time-limited permanent is owned."""

    product: Product
    quantity: int
    held: int
    expires_at: datetime | None = None
    extended_by: timedelta | None = None


class PurchaseResult(NamedTuple):
    transaction: Transaction
    quantity_held: int
    wallet: Wallet  # the buyer's wallet in the price currency, after the purchase (or refund)
    expires_at: datetime | None = None  # until when a time-limited permanent is owned
    granted_items: tuple[Delivered, ...] = ()  # a bundle's items (skipped permanents left out)
    rewards: tuple[Transaction, ...] = ()  # a bundle's currencies, one `reward` row each
    wallets: tuple[Wallet, ...] = ()  # every wallet of the buyer it changed, after it


class ItemUse(NamedTuple):
    user_id: int
    product: Product
    used: int
    quantity_left: int
    active_until: datetime | None = None


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
    """Buy `quantity` units of a product for a player, with everything it grants, all or
    nothing.

    Guarantees: under the locks of the player's wallets (the price currency's and those of the
    currencies a bundle grants), then of its inventory rows by product id (the global lock
    order), ownership, the purchase limit, funds and the granted currencies' maximums are
    checked; then the units and a bundle's items are delivered, price x quantity moves from
    the wallet to sink:store with the unit price paid, and each granted currency comes from
    faucet:rewards, in one transaction with its `purchase.completed` event. Purchases of one
    player are serialised by the wallet lock, so they never overspend, lose an update or pass a
    limit; purchases of different players share no row. A refusal changes nothing but leaves a
    `failed` ledger row and its `purchase.refused` event, committed together. The inventory
    cache is invalidated on commit only.

    A time-limited permanent is extended from the later of now and its expiry; a bundle's
    permanent the player already owns (and does not expire) is skipped, the rest delivered.

    Raises Product.DoesNotExist, ProductUnavailable, InvalidInput, QuantityNotAllowed,
    AlreadyOwned, PurchaseLimitReached, InsufficientFunds, BalanceLimitExceeded.
    """
    offer = catalog.get_offer(product_id)
    product, now = offer.product, timezone.now()
    if not product.is_on_sale(now):
        raise ProductUnavailable(product_id=product.pk)
    validate_quantity(product, quantity)
    grants = offer.contents.times(quantity)
    if any(not currency.is_active for currency, _ in grants.currencies):
        # No wallet opens in an inactive currency, so the bundle cannot be delivered whole.
        raise ProductUnavailable(product_id=product.pk)
    refusal: DomainError | None = None
    # No savepoint: every check comes before the first write, and a refusal is raised only
    # once the block is left (with its `failed` row), so the caller's transaction stays usable.
    with transaction.atomic(savepoint=False):
        wallets = ledger.lock_wallets(
            [(user_id, product.price_currency), *((user_id, c) for c, _ in grants.currencies)]
        )
        wallet = wallets[user_id, product.price_currency.pk]
        rows = _lock_rows(user_id=user_id, product=product, grants=grants)
        refusal = _refusal(
            user_id=user_id,
            product=product,
            quantity=quantity,
            grants=grants,
            wallets=wallets,
            owned=rows.get(product.pk),
            now=now,
        )
        if refusal is None:
            delivered = _deliver_all(
                user_id=user_id,
                product=product,
                quantity=quantity,
                grants=grants,
                rows=rows,
                now=now,
            )
            if delivered is not None:
                own, granted = delivered
                purchase = ledger.pay_for_purchase(
                    wallet=wallet,
                    product=product,
                    quantity=quantity,
                    idempotency_key=idempotency_key,
                )
                rewards = tuple(
                    ledger.give_reward(
                        wallet=wallets[user_id, currency.pk], amount=amount, purchase=purchase
                    )
                    for currency, amount in grants.currencies
                )
                _record_deliveries(purchase, own, granted, rewards)
                result = PurchaseResult(
                    purchase,
                    own.held,
                    wallet,
                    own.expires_at,
                    granted,
                    rewards,
                    tuple(wallets.values()),
                )
                outbox.record(EventType.PURCHASE_COMPLETED, result, user_id=user_id)
                cache.invalidate_on_commit(user_id)
                return result
            # A gift of the permanent landed since it was checked: nothing was added.
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


def _lock_rows(
    *, user_id: int, product: Product, grants: catalog.Contents
) -> dict[int, InventoryItem]:
    """The player's existing inventory rows a delivery must read first (a permanent's, to know
    whether it is owned and until when; a bundle's), locked in product id order. A plain
    consumable needs none: its units are added by one statement that locks its row."""
    if product.is_consumable and not grants:
        return {}
    product_ids = [product.pk, *(item.pk for item, _ in grants.items)]
    return locks.inventory_items_of_user_for_update(user_id=user_id, product_ids=product_ids)


def _refusal(
    *,
    user_id: int,
    product: Product,
    quantity: int,
    grants: catalog.Contents,
    wallets: dict[tuple[int, int], Wallet],
    owned: InventoryItem | None,
    now: datetime,
) -> DomainError | None:
    """Why the purchase cannot go ahead, in the order a player is told: ownership, the
    purchase limit, funds, then a granted currency's maximum."""
    forever = not product.is_consumable and not product.is_time_limited
    if forever and owned is not None and owned.is_owned(now):
        return AlreadyOwned(product_id=product.pk)
    allowance = selectors.allowances(user_id=user_id, products=[product], now=now).get(product.pk)
    if allowance is not None and quantity > allowance.remaining:
        return PurchaseLimitReached(
            product_id=product.pk,
            limit=allowance.limit,
            period=allowance.period,
            remaining=allowance.remaining,
            resets_at=selectors.api_datetime(allowance.resets_at) if allowance.resets_at else None,
        )
    price = product.price * quantity
    wallet = wallets[user_id, product.price_currency.pk]
    refusal: DomainError | None = ledger.shortfall(wallet, price)
    for currency, amount in grants.currencies:
        if refusal is None:
            paid = price if currency.pk == product.price_currency.pk else 0
            refusal = ledger.overflow(wallets[user_id, currency.pk], amount - paid)
    return refusal


def _deliver_all(
    *,
    user_id: int,
    product: Product,
    quantity: int,
    grants: catalog.Contents,
    rows: dict[int, InventoryItem],
    now: datetime,
) -> tuple[Delivered, tuple[Delivered, ...]] | None:
    """Deliver the product and a bundle's items in product id order (the lock order); what was
    delivered of the product itself, and of the items (a permanent the player already owns is
    skipped). None, with nothing delivered, when the product itself turned out to be owned."""
    wanted = sorted([(product, quantity), *grants.items], key=lambda pair: pair[0].pk)
    own: Delivered | None = None
    granted = []
    for item, units in wanted:
        delivery = deliver_units(
            user_id=user_id, product=item, quantity=units, row=rows.get(item.pk), now=now
        )
        if item.pk == product.pk:
            if delivery is None:
                return None
            own = delivery
        elif delivery is not None:
            granted.append(delivery)
    assert own is not None
    return own, tuple(granted)


def _record_deliveries(
    purchase: Transaction,
    own: Delivered,
    granted: tuple[Delivered, ...],
    rewards: tuple[Transaction, ...],
) -> None:
    """Keep what a bundle or a time-limited item delivered, for its refund to take back."""
    rows = [
        Delivery(
            purchase=purchase,
            product=delivered.product,
            quantity=delivered.quantity,
            extended_by=delivered.extended_by,
        )
        for delivered in (own, *granted)
        if delivered is not own or own.extended_by is not None
    ]
    rows += [Delivery(purchase=purchase, reward=reward) for reward in rewards]
    if rows:
        Delivery.objects.bulk_create(rows)


def deliver_units(
    *,
    user_id: int,
    product: Product,
    quantity: int,
    row: InventoryItem | None = None,
    now: datetime | None = None,
) -> Delivered | None:
    """Add `quantity` units of `product` to the player's inventory, its row locked from then on.

    A consumable's units are added in one statement. A time-limited permanent is extended by
    its duration from the later of now and its expiry. A permanent for good is delivered once:
    None, with nothing added, when the player already owns it (`row`, the player's row read
    under its lock, says so; a row created meanwhile by a racing delivery is found by the
    statement itself, so the player never owns it twice).
    """
    now = now or timezone.now()
    if product.is_consumable:
        units = statements.add_units(user_id=user_id, product_id=product.pk, quantity=quantity)
        return Delivered(product, quantity, units)
    if product.duration is not None:
        if row is None:
            statements.add_units(user_id=user_id, product_id=product.pk, quantity=0)
            row = InventoryItem.objects.get(user_id=user_id, product_id=product.pk)
        start = row.expires_at if row.is_owned(now) and row.expires_at else now
        row.quantity, row.expires_at = 1, start + product.duration
        row.save(update_fields=["quantity", "expires_at", "updated_at"])
        return Delivered(product, 1, 1, row.expires_at, product.duration)
    if row is None:
        held = statements.add_units_up_to(
            user_id=user_id, product_id=product.pk, quantity=1, most=1
        )
        return None if held is None else Delivered(product, 1, held)
    if row.is_owned(now):
        return None
    row.quantity, row.expires_at = 1, None
    row.save(update_fields=["quantity", "expires_at", "updated_at"])
    return Delivered(product, 1, 1)


def use_product(*, user_id: int, product_id: int, quantity: int = 1) -> ItemUse:
    """Consume units of a consumable the player holds, with an `item.used` event: the units
    left, and until when its effect is active (a product with a duration: its effect runs
    `duration` per unit used, from the later of now and the end of the effect already running).

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
        now = timezone.now()
        updated = items.filter(quantity__gte=quantity).update(
            quantity=F("quantity") - quantity, updated_at=now
        )
        if updated:
            left, active_until = items.values_list("quantity", "active_until").get()
            if product.duration is not None:
                active_until = max(active_until or now, now) + product.duration * quantity
                items.update(active_until=active_until)
            use = ItemUse(user_id, product, quantity, left, active_until)
            outbox.record(EventType.ITEM_USED, use, user_id=user_id)
            cache.invalidate_on_commit(user_id)
            return use
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
    pro rata for the units left; one fully used is refused). A bundle or a time-limited item is
    refunded whole: every unit bought must still be held (a time-limited item, unexpired); the
    time it gained is taken back, and what the bundle delivered (its Delivery rows): the
    granted currencies in full, back to faucet:rewards (refused when the player no longer has
    them available), the granted items as far as the player still holds them. A `refund` row
    linked to the purchase records it, with one per currency taken back and the
    `purchase.refunded` event; a refusal writes none of them. The UNIQUE constraint on refunds
    per purchase backs the check made under the wallet locks.

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
    deliveries = list(purchase.deliveries.select_related("product", "reward__currency"))
    rewards = [d.reward for d in deliveries if d.reward is not None]
    items = [d for d in deliveries if d.product_id is not None]
    user_id = purchase.user_id
    refusal: DomainError | None = None
    with transaction.atomic(savepoint=False):
        wallets = ledger.lock_wallets(
            [(user_id, purchase.currency), *((user_id, r.currency) for r in rewards)]
        )
        wallet = wallets[user_id, purchase.currency_id]
        rows = locks.inventory_items_of_user_for_update(
            user_id=user_id,
            product_ids=[purchase.product_id, *(cast(int, d.product_id) for d in items)],
        )
        now = timezone.now()
        item = rows.get(purchase.product_id)
        units = min(_units_held(item, now), purchase.quantity)
        refusal = _refund_refusal(purchase, units, whole=bool(deliveries))
        credit = units * purchase.unit_price
        if refusal is None:
            refusal = _cannot_settle(wallets, user_id, purchase, credit, rewards)
        if refusal is None and item is not None:
            own = next((d for d in items if d.product_id == purchase.product_id), None)
            _take_back(item, units=units, extended_by=own.extended_by if own else None, now=now)
            for delivery in items:
                row = rows.get(cast(int, delivery.product_id))
                if delivery is not own and row is not None and row.is_owned(now):
                    _take_back(
                        row,
                        units=delivery.quantity or 0,
                        extended_by=delivery.extended_by,
                        now=now,
                    )
            refund = ledger.credit_refund(
                wallet=wallet, purchase=purchase, quantity=units, reason=reason, staff=staff
            )
            taken = tuple(
                ledger.take_back_reward(
                    wallet=wallets[user_id, reward.currency_id],
                    reward=reward,
                    reason=reason,
                    staff=staff,
                )
                for reward in rewards
            )
            outbox.record(
                EventType.PURCHASE_REFUNDED,
                PurchaseResult(
                    refund,
                    _units_held(item, now),
                    wallet,
                    item.expires_at if item.quantity else None,
                    rewards=taken,
                    wallets=tuple(wallets.values()),
                ),
                user_id=user_id,
            )
            cache.invalidate_on_commit(user_id)
    if refusal is not None:
        raise refusal
    return refund


def _units_held(item: InventoryItem | None, now: datetime) -> int:
    return item.quantity if item is not None and item.is_owned(now) else 0


def _refund_refusal(purchase: Transaction, units: int, *, whole: bool) -> DomainError | None:
    """Why the purchase cannot be refunded for what the player still holds of it, if it cannot."""
    if purchase.refunds.filter(status=Status.COMPLETED).exists():
        return NotRefundable("This purchase was already refunded.", transaction_id=purchase.pk)
    if units == 0:
        return NotRefundable(
            "The player no longer holds any unit of this purchase.", transaction_id=purchase.pk
        )
    if whole and units < cast(int, purchase.quantity):
        return NotRefundable(
            "A bundle or a time-limited item is refunded whole, and the player no longer holds "
            "every unit bought.",
            transaction_id=purchase.pk,
        )
    return None


def _cannot_settle(
    wallets: dict[tuple[int, int], Wallet],
    user_id: int,
    purchase: Transaction,
    credit: int,
    rewards: list[Transaction],
) -> DomainError | None:
    """The refusal when a wallet cannot take the refund's net change in its currency: the price
    credited back, less the granted currencies taken back."""
    net = {purchase.currency_id: credit}
    for reward in rewards:
        net[reward.currency_id] = net.get(reward.currency_id, 0) - reward.amount
    for currency_id, change in net.items():
        wallet = wallets[user_id, currency_id]
        if change > 0 and (refusal := ledger.overflow(wallet, change)) is not None:
            return refusal
        if change < 0 and wallet.available < -change:
            return NotRefundable(
                f"The player has already spent the {wallet.currency.code} this bundle granted.",
                transaction_id=purchase.pk,
                currency=wallet.currency.code,
                available=wallet.available,
                required=-change,
            )
    return None


def _take_back(
    row: InventoryItem, *, units: int, extended_by: timedelta | None, now: datetime
) -> None:
    """Take `units` out of the locked row, or from a time-limited item the time it gained (it
    is no longer owned if that brings its expiry to now or before)."""
    if extended_by is not None and row.expires_at is not None:
        row.expires_at -= extended_by
        if row.expires_at <= now:
            row.quantity = 0
    else:
        row.quantity -= min(units, row.quantity)
    row.save(update_fields=["quantity", "expires_at", "updated_at"])


class Expiry(NamedTuple):
    user_id: int
    product: Product
    expired_at: datetime


def expire_items(*, batch: int = 500) -> int:
    """Mark time-limited items past their expiry as no longer held, each with its
    `item.expired` event; how many. Nothing depends on it having run (an expired item is not
    owned, listed or usable either way): it turns the expiry into an event. Rows a purchase is
    extending are skipped (SKIP LOCKED) and seen again by the next run if still due."""
    expired = 0
    while True:
        with transaction.atomic():
            due = list(
                InventoryItem.objects.select_for_update(of=("self",), skip_locked=True)
                .filter(quantity__gt=0, expires_at__lte=timezone.now())
                .select_related("product")
                .order_by("expires_at")[:batch]
            )
            for item in due:
                item.quantity = 0
                item.save(update_fields=["quantity", "updated_at"])
                assert item.expires_at is not None
                outbox.record(
                    EventType.ITEM_EXPIRED,
                    Expiry(item.user_id, item.product, item.expires_at),
                    user_id=item.user_id,
                )
                cache.invalidate_on_commit(item.user_id)
        expired += len(due)
        if len(due) < batch:
            return expired
