from datetime import datetime

from django.conf import settings
from django.db import models


class InventoryItem(models.Model):
    """What a user holds of one product: units for a consumable, 1 for a permanent.

    A time-limited permanent is owned until `expires_at` and not after, whether or not the
    expiry task has marked it yet; a consumable with an effect is active until `active_until`.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inventory_items"
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="inventory_items"
    )
    quantity = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="A time-limited permanent: owned until then."
    )
    active_until = models.DateTimeField(
        null=True, blank=True, help_text="A consumable with an effect: active until then."
    )
    purchased_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "product"], name="inventory_user_product_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="inventory_quantity_gte_0"
            ),
        ]
        indexes = [
            # The expiry task's scan: only time-limited items are in it.
            models.Index(
                fields=["expires_at"],
                condition=models.Q(expires_at__isnull=False),
                name="inventory_expiring_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.product} x{self.quantity}"

    def is_owned(self, at: datetime) -> bool:
        """Whether the player holds it at `at`: some units, and not expired."""
        return self.quantity > 0 and (self.expires_at is None or at < self.expires_at)


class Delivery(models.Model):
    """What a purchase delivered besides units of its own product: units of a product a bundle
    grants, a currency it grants (its `reward` ledger row), or the time a time-limited
    permanent gained. A refund takes back exactly what these rows say was given, so a granted
    permanent the player already owned (skipped, never delivered) is never taken."""

    purchase = models.ForeignKey(
        "ledger.Transaction", on_delete=models.PROTECT, related_name="deliveries"
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.PositiveIntegerField(null=True, blank=True)
    extended_by = models.DurationField(
        null=True, blank=True, help_text="The time a time-limited permanent gained."
    )
    reward = models.OneToOneField(
        "ledger.Transaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="delivery",
        help_text="The `reward` ledger row of a granted currency.",
    )

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(product__isnull=False, quantity__gte=0, reward__isnull=True)
                    | models.Q(product__isnull=True, quantity__isnull=True, reward__isnull=False)
                ),
                name="delivery_item_or_reward",
            ),
        ]

    def __str__(self) -> str:
        return f"purchase #{self.purchase_id}: " + (
            f"{self.product} x{self.quantity}" if self.product_id else f"reward #{self.reward_id}"
        )
