"""The row locks money takes, named, in the one global order every operation follows, so that no
two operations can deadlock whatever they are (docs/architecture.md, "Lock order"):

1. player wallets, by id (this module);
2. then a hold (this module): whoever ends a hold has locked its player's wallet first;
3. then inventory rows, by product id, then user id (economy/inventory/locks.py);
4. last, an Idempotency-Key's record, inserted as the transaction's last statement.

System wallets are never locked: their balances are derived from the ledger. A sink a caller
names for the first time is created before step 1 (services.system_wallet), so that its
uncommitted row is never waited on by a transaction holding a player wallet.
"""

from collections.abc import Iterable

from . import statements
from .models import Hold, Wallet


def player_wallets_for_update(pairs: Iterable[tuple[int, int]]) -> list[Wallet]:
    """The existing player wallets of these (owner id, currency id) pairs, locked until the
    transaction ends, in id order. FOR NO KEY UPDATE: the foreign keys of ledger rows written
    meanwhile (which take KEY SHARE on the wallets they name) never wait on it."""
    return statements.lock_player_wallets(list(pairs))


def wallet_for_update(wallet_id: int) -> Wallet:
    """One player wallet by id, locked until the transaction ends."""
    return Wallet.objects.select_for_update(no_key=True, of=("self",)).get(pk=wallet_id)


def hold_for_update(hold_id: int) -> Hold:
    """A hold by id, locked until the transaction ends, with its wallets, currency and
    reservation."""
    return (
        Hold.objects.select_for_update(of=("self",))
        .select_related("wallet__currency", "destination", "reservation", "capture__credit_wallet")
        .get(pk=hold_id)
    )
