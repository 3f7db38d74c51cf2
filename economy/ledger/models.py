"""The double-entry ledger: wallets, and transactions that move currency from one to another.

Every movement of currency is one Transaction from a debit wallet to a credit wallet of the same
currency, so currency is conserved by construction: for each currency the wallets sum to 0,
faucets going negative as they issue it. The database holds the invariants itself
(migrations/sql/0006_invariants.*.sql): a ledger row is applied to the player wallets it names
as it is written, any other change of a balance is refused, rows are append-only, and a
movement never crosses currencies.
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from economy.catalog.models import Currency


class SystemWallet(models.TextChoices):
    """The named system wallets. Faucets issue currency (their balance goes negative), sinks
    absorb it; a trusted backend may also spend into a sink of its own naming ("sink:crafting")."""

    DEPOSITS = "faucet:deposits", "Deposits (top-ups from the payments backend)"
    GRANTS = "faucet:grants", "Grants (initial grants, support's adjustments)"
    REWARDS = "faucet:rewards", "Rewards (currencies a bundle delivers)"
    STORE = "sink:store", "Store (purchases; refunds come back from it)"
    SPEND = "sink:spend", "Spend (entry fees, crafting, revives: non-catalog sinks)"
    CORRECTIONS = "sink:corrections", "Corrections (support taking currency back)"
    HOLDS = "escrow:holds", "Holds (currency reserved by pending holds)"


SYSTEM_PREFIXES = ("faucet:", "sink:", "escrow:")

# How the API names the wallets a caller may pay into: a sink of its naming, or a player.
SINK_PATTERN = r"sink:[a-z0-9][a-z0-9_-]{0,58}"
PLAYER_PATTERN = r"player:[1-9][0-9]{0,18}"
DESTINATION_PATTERN = rf"^(?:{SINK_PATTERN}|{PLAYER_PATTERN})$"


class Wallet(models.Model):
    """What one owner holds of one currency: a player's wallet, or a named system wallet.

    `balance` is posted currency and `held` what pending holds reserve: `available = balance -
    held`. Only player wallets store them; a system wallet's balance is derived from the ledger
    (selectors.system_balances), so no purchase ever waits on a shared row.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wallets",
        help_text="The player; empty for a system wallet.",
    )
    name = models.CharField(
        max_length=64, blank=True, help_text="A system wallet's name; empty for a player's."
    )
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="wallets")
    balance = models.BigIntegerField(default=0, editable=False)
    held = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "currency"],
                condition=models.Q(owner__isnull=False),
                name="wallet_one_per_player_currency",
            ),
            models.UniqueConstraint(
                fields=["name", "currency"],
                condition=models.Q(owner__isnull=True),
                name="wallet_one_per_system_name_currency",
            ),
            models.CheckConstraint(
                condition=models.Q(owner__isnull=False, name="")
                | models.Q(owner__isnull=True, name__startswith="faucet:")
                | models.Q(owner__isnull=True, name__startswith="sink:")
                | models.Q(owner__isnull=True, name__startswith="escrow:"),
                name="wallet_player_or_named_system",
            ),
            # A player never spends what it does not have, nor what holds reserve.
            models.CheckConstraint(
                condition=models.Q(owner__isnull=True)
                | models.Q(held__gte=0, balance__gte=models.F("held")),
                name="wallet_available_gte_0",
            ),
            # System wallets store nothing: their balances are derived from the ledger.
            models.CheckConstraint(
                condition=models.Q(owner__isnull=False) | models.Q(balance=0, held=0),
                name="wallet_system_stores_nothing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.currency})"

    @property
    def is_system(self) -> bool:
        return self.owner_id is None

    @property
    def available(self) -> int:
        return self.balance - self.held

    @property
    def label(self) -> str:
        """How the API names a side of a movement: "player:12" or "sink:store"."""
        return self.name or f"player:{self.owner_id}"


class Kind(models.TextChoices):
    DEPOSIT = "deposit", "Deposit"
    PURCHASE = "purchase", "Purchase"
    REFUND = "refund", "Refund"
    ADJUSTMENT = "adjustment", "Adjustment"
    SPEND = "spend", "Spend"
    TRANSFER = "transfer", "Transfer"
    HOLD = "hold", "Hold"
    REWARD = "reward", "Reward"


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    VOIDED = "voided", "Voided"


class Transaction(models.Model):
    """One movement of `amount` of one currency from `debit_wallet` to `credit_wallet`.

    Append-only: a completed or failed row never changes, a pending one (a hold's reservation)
    only moves to completed or voided. `user` is the player concerned (the paying side of a
    movement between two players, whose other side is `counterparty`); the database checks both
    against the wallets.
    A refused operation leaves a `failed` row that moves nothing, for support to see.
    """

    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Indexed by txn_debit_created_idx and txn_credit_created_idx, which lead with them.
    debit_wallet = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, related_name="debits", db_index=False
    )
    credit_wallet = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, related_name="credits", db_index=False
    )
    amount = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=Kind)
    status = models.CharField(max_length=16, choices=Status, default=Status.COMPLETED)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="transactions",
        db_index=False,  # txn_user_created_idx leads with it
    )
    counterparty = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # txn_counterparty_created_idx leads with it
        help_text="The credited player of a movement between two players.",
    )
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
    )
    quantity = models.PositiveIntegerField(null=True, blank=True)
    unit_price = models.BigIntegerField(null=True, blank=True)
    failure_reason = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True, help_text="Why: an adjustment, a refund, a spend.")
    idempotency_key = models.CharField(max_length=255, blank=True)
    # A refund points at the purchase it reverses.
    refund_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text="The staff member or backend that made an adjustment, deposit or refund.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="txn_amount_gt_0"),
            models.CheckConstraint(condition=models.Q(kind__in=Kind.values), name="txn_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="txn_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(debit_wallet=models.F("credit_wallet")),
                name="txn_between_two_wallets",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=Kind.PURCHASE)
                | (
                    models.Q(product__isnull=False, quantity__gt=0, unit_price__gt=0)
                    & models.Q(amount=models.F("quantity") * models.F("unit_price"))
                ),
                name="txn_purchase_priced",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=Kind.REFUND) | models.Q(refund_of__isnull=False),
                name="txn_refund_links_purchase",
            ),
            # A purchase is refunded at most once, however many support agents click at once.
            models.UniqueConstraint(
                fields=["refund_of"],
                condition=models.Q(kind=Kind.REFUND, status=Status.COMPLETED),
                name="txn_one_refund_per_purchase",
            ),
        ]
        indexes = [
            # A player's history, newest first: the rows it pays and the rows it receives
            # from another player.
            models.Index(fields=["user", "-created_at", "-id"], name="txn_user_created_idx"),
            models.Index(
                fields=["counterparty", "-created_at", "-id"],
                condition=models.Q(counterparty__isnull=False),
                name="txn_counterparty_created_idx",
            ),
            models.Index(
                fields=["kind", "status", "created_at"], name="txn_kind_status_created_idx"
            ),
            # A wallet's movements by time, what the economy dashboard sums per day for each
            # system wallet (backoffice/dashboard.py): read from the index alone, the columns
            # it sums, filters and groups by carried in it.
            models.Index(
                fields=["debit_wallet", "created_at"],
                include=["status", "amount"],
                name="txn_debit_created_idx",
            ),
            models.Index(
                fields=["credit_wallet", "created_at"],
                include=["status", "amount", "kind", "user", "product", "quantity"],
                name="txn_credit_created_idx",
            ),
            # Popular products (ledger/analytics.py): the window of completed purchases read
            # with an index-only scan, product and units carried in the index.
            models.Index(
                fields=["created_at"],
                include=["product", "quantity"],
                condition=models.Q(kind=Kind.PURCHASE, status=Status.COMPLETED),
                name="txn_completed_purchase_idx",
            ),
        ]
        permissions = [
            ("refund_purchase", "Can refund a completed purchase (support)"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.amount} ({self.status})"


class HoldStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CAPTURED = "captured", "Captured"
    VOIDED = "voided", "Voided"
    EXPIRED = "expired", "Expired"


class OnExpiry(models.TextChoices):
    VOID = "void", "Void: release it to the player"
    CAPTURE = "capture", "Capture: pay all of it to the destination"


class Hold(models.Model):
    """A reservation of `amount` of a player's currency until an outcome is known (a match entry
    fee, a checkout, an escrowed trade): a two-phase movement.

    Placing it writes a `pending` ledger row from the player's wallet to escrow:holds, which
    moves the amount from the wallet's available into `held`. Whatever ends it releases that row
    (it becomes `voided`); a capture then posts the captured amount from the player to the
    destination in a completed row of its own (`capture`). An expired hold ends as `on_expiry`
    says, with status `expired` (`captured_amount` tells whether it was paid). The database
    holds this in step with the ledger (migrations/sql/0007_holds.*.sql): a pending hold is
    exactly a pending reservation, and a hold changes only from pending, once.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="holds",
        db_index=False,  # hold_user_created_idx leads with it
    )
    wallet = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, related_name="holds", help_text="The player's wallet."
    )
    amount = models.BigIntegerField()
    destination = models.ForeignKey(
        Wallet,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where a capture pays it by default: a sink, or another player's wallet.",
    )
    status = models.CharField(max_length=16, choices=HoldStatus, default=HoldStatus.PENDING)
    on_expiry = models.CharField(max_length=16, choices=OnExpiry, default=OnExpiry.VOID)
    expires_at = models.DateTimeField()
    reference = models.CharField(
        max_length=200, blank=True, help_text="The caller's name for it: a match, an order."
    )
    reservation = models.OneToOneField(
        Transaction,
        on_delete=models.PROTECT,
        related_name="hold",
        help_text="The pending ledger row that reserves the amount.",
    )
    capture = models.OneToOneField(
        Transaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="captured_hold",
        help_text="The ledger row that paid the captured amount.",
    )
    captured_amount = models.BigIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why it was voided, when support did it.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text="The backend that placed it.",
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text="Who captured or voided it; empty when it expired.",
    )
    idempotency_key = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="hold_amount_gt_0"),
            models.CheckConstraint(
                condition=models.Q(status__in=HoldStatus.values), name="hold_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(on_expiry__in=OnExpiry.values), name="hold_on_expiry_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(wallet=models.F("destination")),
                name="hold_destination_not_its_wallet",
            ),
            # Pending: nothing decided yet. Ended: when, and a capture only with its amount.
            models.CheckConstraint(
                condition=models.Q(
                    status=HoldStatus.PENDING,
                    resolved_at__isnull=True,
                    capture__isnull=True,
                    captured_amount__isnull=True,
                )
                | (
                    ~models.Q(status=HoldStatus.PENDING)
                    & models.Q(resolved_at__isnull=False)
                    & (
                        models.Q(capture__isnull=True, captured_amount__isnull=True)
                        | models.Q(
                            capture__isnull=False,
                            captured_amount__gt=0,
                            captured_amount__lte=models.F("amount"),
                        )
                    )
                ),
                name="hold_outcome_consistent",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=HoldStatus.CAPTURED) | models.Q(capture__isnull=False),
                name="hold_captured_has_capture",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=HoldStatus.VOIDED) | models.Q(capture__isnull=True),
                name="hold_voided_pays_nothing",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="hold_user_created_idx"),
            # The expiry task's scan: pending holds by expiry.
            models.Index(
                fields=["expires_at"],
                condition=models.Q(status=HoldStatus.PENDING),
                name="hold_pending_expiry_idx",
            ),
        ]
        permissions = [("void_hold", "Can void a pending hold (support)")]

    def __str__(self) -> str:
        return f"hold #{self.pk} {self.amount} ({self.status})"

    def is_due(self, now: datetime) -> bool:
        """Pending past its expiry: it ends as `on_expiry` says, whether or not the task ran."""
        return self.status == HoldStatus.PENDING and self.expires_at <= now
