"""The row locks money takes, named, in the one global order every operation follows, so that no
two operations can deadlock whatever they are (docs/architecture.md, "Lock order"):

1. player wallets, by id (this module);
2. then inventory rows, by product id (economy/inventory/locks.py);
3. last, an Idempotency-Key's record, inserted as the transaction's last statement.

System wallets are never locked: their balances are derived from the ledger.
"""

from collections.abc import Iterable

from . import statements
from .models import Wallet


def player_wallets_for_update(pairs: Iterable[tuple[int, int]]) -> list[Wallet]:
    """The existing player wallets of these (owner id, currency id) pairs, locked until the
    transaction ends, in id order. FOR NO KEY UPDATE: the foreign keys of ledger rows written
    meanwhile (which take KEY SHARE on the wallets they name) never wait on it."""
    return statements.lock_player_wallets(list(pairs))


def wallet_for_update(wallet_id: int) -> Wallet:
    """One player wallet by id, locked until the transaction ends."""
    return Wallet.objects.select_for_update(no_key=True, of=("self",)).get(pk=wallet_id)
