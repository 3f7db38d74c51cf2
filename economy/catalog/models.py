from django.db import models


class ProductType(models.TextChoices):
    CONSUMABLE = "consumable", "Consumable"
    PERMANENT = "permanent", "Permanent"


# A billion coins per unit is more than any catalog needs, and keeps price x quantity (at most
# ECONOMY_MAX_PURCHASE_QUANTITY units) far inside a 64-bit ledger amount.
MAX_PRICE = 1_000_000_000


class Product(models.Model):
    """An item of the catalog. Its price is a snapshot source: the ledger keeps the price paid."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    price = models.PositiveBigIntegerField(help_text="Price in virtual currency, greater than 0.")
    type = models.CharField(max_length=16, choices=ProductType)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gt=0),
                name="product_price_gt_0",
                violation_error_message="The price must be greater than 0.",
            ),
            models.CheckConstraint(
                condition=models.Q(price__lte=MAX_PRICE),
                name="product_price_lte_max",
                violation_error_message=f"The price must be at most {MAX_PRICE}.",
            ),
            models.CheckConstraint(
                condition=models.Q(type__in=ProductType.values), name="product_type_valid"
            ),
        ]
        indexes = [models.Index(fields=["is_active", "type"], name="product_active_type_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_consumable(self) -> bool:
        return self.type == ProductType.CONSUMABLE
