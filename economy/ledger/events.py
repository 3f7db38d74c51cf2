"""The `data` of the ledger's events (economy/events/payloads.py): each is what the endpoint that
made the change answers, with the player it concerns, built from the objects the service holds
(its locked wallet is kept in step with the database by services.post)."""

from rest_framework import serializers

from economy.events.models import EventType
from economy.events.payloads import payload

from .serializers import BalanceChangeSerializer, BalanceSerializer, HoldSerializer
from .services import BalanceChange


class _PlayerBalanceChange(BalanceChangeSerializer):
    user_id = serializers.IntegerField(source="wallet.owner_id", help_text="The player.")


@payload(EventType.DEPOSIT_COMPLETED)
class DepositCompletedEvent(_PlayerBalanceChange):
    """A top-up credited by a trusted backend: its `deposit` ledger row (faucet:deposits -> the
    player, `transaction.amount` of `currency`) and the player's wallet after it."""


@payload(EventType.BALANCE_ADJUSTED)
class BalanceAdjustedEvent(_PlayerBalanceChange):
    """Support's correction of a balance, or a wallet opened with its currency's initial grant
    (reason "Initial grant", no staff): its `adjustment` ledger row (with its
    `transaction.reason`), what it did to the balance, who made it, and the player's wallet
    after it."""

    change = serializers.SerializerMethodField(
        help_text="What it did to the balance: > 0 granted, < 0 taken."
    )
    staff_id = serializers.IntegerField(
        source="transaction.created_by_id",
        allow_null=True,
        help_text="Who made it; null when no staff user was named (a script).",
    )

    def get_change(self, change: BalanceChange) -> int:
        row = change.transaction
        return row.amount if row.credit_wallet_id == change.wallet.pk else -row.amount


@payload(EventType.SPEND_COMPLETED)
class SpendCompletedEvent(_PlayerBalanceChange):
    """A player charged for a sink that is not a catalog purchase (an entry fee, crafting): its
    `spend` ledger row (the player -> `transaction.credit`, the sink, with its
    `transaction.reason`) and the player's wallet after it."""


@payload(
    EventType.HOLD_PLACED, EventType.HOLD_CAPTURED, EventType.HOLD_VOIDED, EventType.HOLD_EXPIRED
)
class HoldChangedEvent(serializers.Serializer):
    """A hold placed or ended (`hold.status` says how; `hold.captured_amount` what was paid, to
    `hold.paid_to`), and the holder's wallet in its currency after it."""

    hold = HoldSerializer()
    balance = BalanceSerializer(source="wallet")
