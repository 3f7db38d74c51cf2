from django.conf import settings
from django.db import models


class InventoryItem(models.Model):
    """What a user holds of one product: units for a consumable, 1 for a permanent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inventory_items"
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="inventory_items"
    )
    quantity = models.PositiveIntegerField(default=0)
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

    def __str__(self) -> str:
        return f"{self.user}: {self.product} x{self.quantity}"
