from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    DEPOSIT = "deposit", "Deposit"
    PURCHASE = "purchase", "Purchase"
    REFUND = "refund", "Refund"
    ADJUSTMENT = "adjustment", "Adjustment"


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


# Kinds that add to a balance; a purchase is the only debit.
CREDIT_KINDS = (Kind.DEPOSIT, Kind.REFUND, Kind.ADJUSTMENT)
DEBIT_KINDS = (Kind.PURCHASE,)


class Transaction(models.Model):
    """One line of the ledger. Append-only: rows are never edited once completed.

    For every user, balance == sum(completed credits) - sum(completed debits).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transactions"
    )
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
    )
    kind = models.CharField(max_length=16, choices=Kind)
    amount = models.BigIntegerField()
    quantity = models.PositiveIntegerField(null=True, blank=True)
    unit_price = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.COMPLETED)
    failure_reason = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True, help_text="Why staff adjusted or refunded.")
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
        help_text="The staff member or backend that made an adjustment, deposit or refund.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="txn_amount_gt_0"),
            models.CheckConstraint(condition=models.Q(kind__in=Kind.values), name="txn_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="txn_status_valid"
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
            models.Index(fields=["user", "-created_at"], name="txn_user_created_idx"),
            models.Index(
                fields=["kind", "status", "created_at"], name="txn_kind_status_created_idx"
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
