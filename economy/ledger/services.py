"""Every movement of currency.

One primitive, `post`, writes a ledger row from a debit wallet to a credit wallet; the database
applies it to the player wallets it names in the same statement and refuses anything else
(migrations/sql/0006_invariants.*.sql). Every operation below composes it: it opens the
transaction, locks the player wallets (`lock_wallets`, the global order of ledger/locks.py),
checks the rules, and posts. No service raises a refusal inside its transaction block: it
decides there and raises once the block is left, so that the block needs no savepoint and a
caller's transaction (the Idempotency-Key's) stays usable to record the refusal.
"""

from collections.abc import Iterable
from typing import Any, NamedTuple, cast

from django.conf import settings
from django.db import transaction

from economy.accounts.models import User
from economy.catalog.models import Currency, Product
from economy.common.exceptions import (
    BalanceLimitExceeded,
    DomainError,
    InsufficientFunds,
    InvalidInput,
)
from economy.events import outbox
from economy.events.models import EventType

from . import locks
from .models import Kind, Status, SystemWallet, Transaction, Wallet


class BalanceChange(NamedTuple):
    transaction: Transaction
    wallet: Wallet  # the player's wallet after the change


def validate_amount(amount: object, *, limit: int | None = None) -> int:
    """An amount of currency: an integer in 1..limit (ECONOMY_MAX_DEPOSIT by default)."""
    limit = settings.ECONOMY_MAX_DEPOSIT if limit is None else limit
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput("The amount must be an integer.", amount=["Must be an integer."])
    if not 0 < amount <= limit:
        raise InvalidInput(
            f"The amount must be between 1 and {limit}.",
            amount=[f"Ensure this value is between 1 and {limit}."],
        )
    return amount


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A reason is required.", reason=["This field is required."])
    return reason


class _SystemWalletIds:
    """The ids of system wallets, kept per process once committed: a system wallet is never
    deleted nor renamed, and every movement of currency names one, so this saves a query on
    every purchase (as Django's ContentType cache does for content types). An id is kept only
    once the row that holds it is committed, so a rolled-back creation is never remembered."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, int], int] = {}

    def get(self, name: str, currency: Currency) -> Wallet:
        key = (name, currency.pk)
        wallet_id = self._ids.get(key)
        if wallet_id is None:
            wallet, created = Wallet.objects.get_or_create(owner=None, name=name, currency=currency)
            wallet_id = wallet.pk
            if created:
                transaction.on_commit(lambda: self._ids.setdefault(key, wallet_id))
            else:
                self._ids[key] = wallet_id
        return Wallet(pk=wallet_id, owner=None, name=name, currency=currency)

    def clear(self) -> None:
        """Forget every id: for a database emptied under a running process (tests)."""
        self._ids.clear()


system_wallets = _SystemWalletIds()


def system_wallet(name: str, currency: Currency) -> Wallet:
    """The named system wallet of `currency` ("sink:store"), created on first use.

    Every name of SystemWallet exists from the moment its currency does (open_system_wallets).
    A sink a caller names for the first time ("sink:crafting") is created by its first movement:
    its row, uncommitted until then, is one more thing other transactions may wait on, so a
    service resolves such a wallet before it locks any player wallet (ledger/locks.py)."""
    return system_wallets.get(name, currency)


def open_system_wallets(currency: Currency) -> None:
    """Create the named system wallets of a new currency (SystemWallet), so that no movement
    ever has to create one while it holds a player wallet's lock."""
    for name in SystemWallet.values:
        Wallet.objects.get_or_create(owner=None, name=name, currency=currency)


def lock_wallets(pairs: Iterable[tuple[int, Currency]]) -> dict[tuple[int, int], Wallet]:
    """The wallets of these (player id, currency) pairs, locked for the rest of the transaction
    and keyed by (player id, currency id).

    Existing wallets are locked first, in id order. A wallet that does not exist yet is opened
    after them, with the currency's initial grant from faucet:grants and its balance.adjusted
    event: its new row is invisible to other transactions until commit, and one that opens it
    at the same moment waits on its unique index entry, then finds it: the grant is given
    exactly once.
    """
    currencies = {currency.pk: currency for _, currency in pairs}
    wanted = sorted({(user_id, currency.pk) for user_id, currency in pairs})
    wallets = {
        (cast(int, wallet.owner_id), wallet.currency_id): wallet  # player wallets have owners
        for wallet in locks.player_wallets_for_update(wanted)
    }
    for user_id, currency_id in wanted:
        if (user_id, currency_id) not in wallets:
            wallets[user_id, currency_id] = _open_wallet(user_id, currencies[currency_id])
    for (_, currency_id), wallet in wallets.items():
        wallet.currency = currencies[currency_id]
    return wallets


def lock_wallet(*, user_id: int, currency: Currency) -> Wallet:
    """One player's wallet in `currency`, locked; opened on first use (see lock_wallets)."""
    return lock_wallets([(user_id, currency)])[user_id, currency.pk]


def _open_wallet(user_id: int, currency: Currency) -> Wallet:
    if not User.objects.filter(pk=user_id).exists():
        raise User.DoesNotExist(f"No user {user_id}.")
    wallet, opened = Wallet.objects.get_or_create(owner_id=user_id, currency=currency)
    if not opened:  # another transaction opened it since we looked: lock it now
        return locks.wallet_for_update(wallet.pk)
    wallet.currency = currency
    if currency.initial_grant:
        grant = post(
            debit=system_wallet(SystemWallet.GRANTS, currency),
            credit=wallet,
            amount=currency.initial_grant,
            kind=Kind.ADJUSTMENT,
            reason="Initial grant",
        )
        # Like any adjustment: a game server following the feed sees every coin a player has.
        outbox.record(EventType.BALANCE_ADJUSTED, BalanceChange(grant, wallet), user_id=user_id)
    return wallet


def post(
    *,
    debit: Wallet,
    credit: Wallet,
    amount: int,
    kind: str,
    status: str = Status.COMPLETED,
    **details: Any,
) -> Transaction:
    """Move `amount` from `debit` to `credit`: one ledger row, which the database applies to
    the player wallets in the same statement (a pending row reserves `held` on its debit side).

    The caller holds the locks on the player wallets (lock_wallets) and has checked the rules
    (shortfall, overflow): the InsufficientFunds or BalanceLimitExceeded raised here means one
    did not, and the database would refuse the row anyway.
    The wallet objects passed in are kept in step with what the database applied.
    """
    if status in (Status.COMPLETED, Status.PENDING):
        refusal = shortfall(debit, amount) or overflow(credit, amount)
        if refusal is not None:
            raise refusal
    player = debit.owner_id or credit.owner_id
    if player is None:
        raise ValueError("A movement names at least one player wallet.")
    row = Transaction.objects.create(
        currency=debit.currency,
        debit_wallet=debit,
        credit_wallet=credit,
        amount=amount,
        kind=kind,
        status=status,
        user_id=player,
        counterparty_id=credit.owner_id if debit.owner_id else None,
        **details,
    )
    # The database applied the row to the player wallets: keep the objects in step.
    if status == Status.COMPLETED:
        if not debit.is_system:
            debit.balance -= amount
        if not credit.is_system:
            credit.balance += amount
    elif status == Status.PENDING and not debit.is_system:
        debit.held += amount
    return row


def release(row: Transaction, *, debit: Wallet) -> None:
    """Release a pending row: it becomes `voided`, and the database gives the `held` it reserved
    back to `debit`, its locked debit wallet (kept in step here)."""
    released = Transaction.objects.filter(pk=row.pk, status=Status.PENDING).update(
        status=Status.VOIDED
    )
    if not released:
        raise ValueError(f"Ledger row {row.pk} is not pending.")
    row.status = Status.VOIDED
    if not debit.is_system:
        debit.held -= row.amount


def shortfall(wallet: Wallet, amount: int) -> InsufficientFunds | None:
    """The refusal when a player's available balance does not cover `amount`, else None."""
    if wallet.is_system or wallet.available >= amount:
        return None
    return InsufficientFunds(
        currency=wallet.currency.code, available=wallet.available, required=amount
    )


def overflow(wallet: Wallet, amount: int) -> BalanceLimitExceeded | None:
    """The refusal when crediting `amount` takes a player above its currency's maximum."""
    if wallet.is_system:
        return None
    maximum = wallet.currency.max_balance
    if maximum is None or wallet.balance + amount <= maximum:
        return None
    return BalanceLimitExceeded(
        currency=wallet.currency.code, balance=wallet.balance, maximum=maximum
    )


def record_failure(
    *, debit: Wallet, credit: Wallet, amount: int, kind: str, failure: str, **details: Any
) -> Transaction:
    """Keep a refused operation in the ledger, so support can see what the player tried: a
    `failed` row, which moves nothing. Written outside the refused operation's transaction."""
    return post(
        debit=debit,
        credit=credit,
        amount=amount,
        kind=kind,
        status=Status.FAILED,
        failure_reason=failure,
        **details,
    )


def add_funds(
    *,
    user_id: int,
    amount: int,
    currency: Currency,
    actor: User | None = None,
    idempotency_key: str = "",
) -> BalanceChange:
    """Credit a top-up from a trusted backend: faucet:deposits -> the player, a completed
    `deposit`, with its `deposit.completed` event. Raises InvalidInput for an amount outside
    1..ECONOMY_MAX_DEPOSIT, BalanceLimitExceeded, User.DoesNotExist for an unknown player."""
    validate_amount(amount)
    with transaction.atomic(savepoint=False):
        wallet = lock_wallet(user_id=user_id, currency=currency)
        refusal = overflow(wallet, amount)
        if refusal is None:
            row = post(
                debit=system_wallet(SystemWallet.DEPOSITS, currency),
                credit=wallet,
                amount=amount,
                kind=Kind.DEPOSIT,
                created_by=actor,
                idempotency_key=idempotency_key,
            )
            change = BalanceChange(row, wallet)
            outbox.record(EventType.DEPOSIT_COMPLETED, change, user_id=user_id)
    if refusal is not None:
        raise refusal
    return change


def adjust_balance(
    *, user_id: int, amount: int, currency: Currency, reason: str, staff: User | None = None
) -> BalanceChange:
    """Support's correction, with its reason and who made it: a positive amount is granted from
    faucet:grants, a negative one taken into sink:corrections (never below what the player has
    available), with its `balance.adjusted` event. Same limits as add_funds on the amount's
    size."""
    validate_amount(-amount if type(amount) is int and amount < 0 else amount)
    reason = _reason(reason)
    with transaction.atomic(savepoint=False):
        wallet = lock_wallet(user_id=user_id, currency=currency)
        if amount > 0:
            debit, credit = system_wallet(SystemWallet.GRANTS, currency), wallet
            refusal: DomainError | None = overflow(wallet, amount)
        else:
            debit, credit = wallet, system_wallet(SystemWallet.CORRECTIONS, currency)
            refusal = shortfall(wallet, -amount)
        if refusal is None:
            row = post(
                debit=debit,
                credit=credit,
                amount=abs(amount),
                kind=Kind.ADJUSTMENT,
                reason=reason,
                created_by=staff,
            )
            change = BalanceChange(row, wallet)
            outbox.record(EventType.BALANCE_ADJUSTED, change, user_id=user_id)
    if refusal is not None:
        raise refusal
    return change


def spend(
    *,
    user_id: int,
    amount: int,
    currency: Currency,
    sink: str = SystemWallet.SPEND,
    reason: str = "",
    actor: User | None = None,
    idempotency_key: str = "",
) -> BalanceChange:
    """Debit a player for a sink that is not a catalog purchase (an entry fee, crafting, a
    revive): the player -> `sink` (a "sink:..." wallet, created on first use), a completed
    `spend`, with its `spend.completed` event. A refusal for funds leaves a `failed` row and no
    event. Raises InvalidInput, InsufficientFunds, User.DoesNotExist."""
    validate_amount(amount)
    sink_wallet = system_wallet(sink, currency)
    fields: dict[str, Any] = {
        "reason": reason,
        "created_by": actor,
        "idempotency_key": idempotency_key,
    }
    with transaction.atomic(savepoint=False):
        wallet = lock_wallet(user_id=user_id, currency=currency)
        refusal = shortfall(wallet, amount)
        if refusal is None:
            row = post(debit=wallet, credit=sink_wallet, amount=amount, kind=Kind.SPEND, **fields)
            change = BalanceChange(row, wallet)
            outbox.record(EventType.SPEND_COMPLETED, change, user_id=user_id)
            return change
    record_failure(
        debit=wallet,
        credit=sink_wallet,
        amount=amount,
        kind=Kind.SPEND,
        failure=refusal.code,
        **fields,
    )
    raise refusal


def pay_for_purchase(
    *, wallet: Wallet, product: Product, quantity: int, idempotency_key: str = ""
) -> Transaction:
    """Debit a purchase at the product's current price: the buyer's locked wallet ->
    sink:store, a completed `purchase` with the unit price paid."""
    return post(
        debit=wallet,
        credit=system_wallet(SystemWallet.STORE, wallet.currency),
        amount=product.price * quantity,
        kind=Kind.PURCHASE,
        **_purchase_details(product, quantity, idempotency_key),
    )


def record_failed_purchase(
    *, wallet: Wallet, product: Product, quantity: int, failure: str, idempotency_key: str = ""
) -> Transaction:
    """Keep a refused purchase in the ledger (see record_failure)."""
    return record_failure(
        debit=wallet,
        credit=system_wallet(SystemWallet.STORE, wallet.currency),
        amount=product.price * quantity,
        kind=Kind.PURCHASE,
        failure=failure,
        **_purchase_details(product, quantity, idempotency_key),
    )


def _purchase_details(product: Product, quantity: int, idempotency_key: str) -> dict[str, Any]:
    return {
        "product": product,
        "quantity": quantity,
        "unit_price": product.price,
        "idempotency_key": idempotency_key,
    }


def credit_refund(
    *,
    wallet: Wallet,
    purchase: Transaction,
    quantity: int,
    reason: str = "",
    staff: User | None = None,
) -> Transaction:
    """Credit back `quantity` units of a purchase at the price paid: sink:store -> the buyer's
    locked wallet, a `refund` linked to the purchase (and to its product, as loaded with it).
    The caller has taken the units out of the inventory in the same transaction."""
    assert purchase.unit_price is not None  # every purchase is priced (txn_purchase_priced)
    return post(
        debit=system_wallet(SystemWallet.STORE, wallet.currency),
        credit=wallet,
        amount=quantity * purchase.unit_price,
        kind=Kind.REFUND,
        product=purchase.product,
        quantity=quantity,
        unit_price=purchase.unit_price,
        refund_of=purchase,
        reason=reason,
        created_by=staff,
    )


def give_reward(*, wallet: Wallet, amount: int, purchase: Transaction) -> Transaction:
    """Credit a currency a bundle grants: faucet:rewards -> the buyer's locked wallet, a
    completed `reward` naming the bundle bought. The caller checked the currency's maximum."""
    assert purchase.product is not None  # a purchase names its product (txn_purchase_priced)
    return post(
        debit=system_wallet(SystemWallet.REWARDS, wallet.currency),
        credit=wallet,
        amount=amount,
        kind=Kind.REWARD,
        product=purchase.product,
        quantity=purchase.quantity,
        reason=f"Granted by {purchase.product.name}",
    )


def take_back_reward(
    *, wallet: Wallet, reward: Transaction, reason: str = "", staff: User | None = None
) -> Transaction:
    """Take a bundle's granted currency back when the bundle is refunded: the player's locked
    wallet -> faucet:rewards, a `refund` linked to the reward it reverses (at most once, as
    every refund). The caller checked that the player still has it available."""
    return post(
        debit=wallet,
        credit=system_wallet(SystemWallet.REWARDS, wallet.currency),
        amount=reward.amount,
        kind=Kind.REFUND,
        product=reward.product,
        quantity=reward.quantity,
        refund_of=reward,
        reason=reason,
        created_by=staff,
    )
