"""Transfers between players: currency or items moved from one player to another, both sides or
neither.

A currency transfer is exactly one completed ledger row of kind `transfer` from the sender's
wallet to the receiver's (`transaction`); an item transfer moves units between the two players'
inventory rows of one product. Either way the Transfer row is the record both players see in
their history. The database holds the rows append-only and checks a currency transfer against
its ledger row (migrations/sql/0002_append_only.*.sql).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from economy.catalog.models import Currency, Product
from economy.ledger.models import Transaction


class Transfer(models.Model):
    """`amount` of `currency` (with its ledger row) or `quantity` units of `product`, moved from
    `from_user` to `to_user`. Never changed once written."""

    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="transfers_sent",
        db_index=False,  # transfer_from_created_idx leads with it
        help_text="The sender.",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="transfers_received",
        db_index=False,  # transfer_to_created_idx leads with it
        help_text="The receiver.",
    )
    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    amount = models.BigIntegerField(null=True, blank=True)
    transaction = models.OneToOneField(
        Transaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer",
        help_text="The ledger row that moved the currency.",
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.PositiveIntegerField(null=True, blank=True)
    reason = models.CharField(
        max_length=500, blank=True, help_text="The caller's note: a trade, a payout, a gift."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text="Who made it: the sender itself, or a trusted backend.",
    )
    idempotency_key = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Currency with its ledger row, or items: one shape, never parts of both.
            models.CheckConstraint(
                condition=models.Q(
                    currency__isnull=False,
                    amount__isnull=False,
                    transaction__isnull=False,
                    product__isnull=True,
                    quantity__isnull=True,
                )
                | models.Q(
                    currency__isnull=True,
                    amount__isnull=True,
                    transaction__isnull=True,
                    product__isnull=False,
                    quantity__isnull=False,
                ),
                name="transfer_currency_or_items",
            ),
            models.CheckConstraint(
                condition=~models.Q(from_user=models.F("to_user")),
                name="transfer_between_two_users",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gt=0),
                name="transfer_amount_gt_0",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__isnull=True) | models.Q(quantity__gt=0),
                name="transfer_quantity_gt_0",
            ),
        ]
        indexes = [
            # Each party's history, newest first; the sender's also counts what it sent today.
            models.Index(
                fields=["from_user", "-created_at", "-id"], name="transfer_from_created_idx"
            ),
            models.Index(fields=["to_user", "-created_at", "-id"], name="transfer_to_created_idx"),
        ]

    def __str__(self) -> str:
        what = (
            f"{self.amount} {self.currency}"
            if self.currency_id
            else f"{self.quantity} x {self.product}"
        )
        return f"transfer #{self.pk}: {what} from {self.from_user_id} to {self.to_user_id}"
