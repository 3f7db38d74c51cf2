from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models


class ProductType(models.TextChoices):
    CONSUMABLE = "consumable", "Consumable"
    PERMANENT = "permanent", "Permanent"


# A billion coins per unit is more than any catalog needs, and keeps price x quantity (at most
# ECONOMY_MAX_PURCHASE_QUANTITY units) far inside a 64-bit ledger amount.
MAX_PRICE = 1_000_000_000


class Currency(models.Model):
    """A virtual currency (soft coins, hard gems). Content managers run them in the admin, beside
    the products priced in them; players hold them in ledger wallets. Exactly one is the
    default: what `balance` means to a client that knows one currency.

    Changing a currency's limits never rewrites a wallet: a lowered maximum refuses further
    credits above it and takes nothing away.
    """

    code = models.CharField(
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[a-z][a-z0-9_-]*$", "Lowercase letters, digits, - and _.")],
        help_text="How the API names it (coins, gems): lowercase, never changed once used.",
    )
    name = models.CharField(max_length=100)
    initial_grant = models.PositiveBigIntegerField(
        default=0,
        help_text="Given once, from faucet:grants, when a player's wallet in it opens.",
    )
    max_balance = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="The most a player may hold; empty for no limit.",
    )
    is_active = models.BooleanField(
        default=True, help_text="Inactive: listed nowhere, and no new wallet opens in it."
    )
    is_default = models.BooleanField(
        default=False,
        help_text="The currency of `balance` and of requests that name none. Exactly one.",
    )
    is_giftable = models.BooleanField(
        default=False,
        help_text="Players may send it to one another (POST /transfers), up to the daily "
        "transfer limit. Trusted backends move any currency.",
    )
    daily_transfer_limit = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="The most a player may send to other players per UTC day; empty for "
        "ECONOMY_DAILY_TRANSFER_LIMIT.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "currencies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="currency_one_default",
                violation_error_message="Another currency is already the default.",
            ),
            models.CheckConstraint(
                condition=models.Q(max_balance__isnull=True)
                | models.Q(max_balance__gt=0, initial_grant__lte=models.F("max_balance")),
                name="currency_grant_within_max",
                violation_error_message="The maximum balance must be positive and cover the "
                "initial grant.",
            ),
            models.CheckConstraint(
                condition=models.Q(is_default=False) | models.Q(is_active=True),
                name="currency_default_is_active",
                violation_error_message="The default currency must be active.",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def transfer_limit(self) -> int:
        """What a player may send per UTC day: the currency's own limit, else the setting's."""
        if self.daily_transfer_limit is None:
            return int(settings.ECONOMY_DAILY_TRANSFER_LIMIT)
        return self.daily_transfer_limit


class Product(models.Model):
    """An item of the catalog. Its price is a snapshot source: the ledger keeps the price paid."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    price = models.PositiveBigIntegerField(help_text="Price in its currency, greater than 0.")
    price_currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="products", verbose_name="currency"
    )
    type = models.CharField(max_length=16, choices=ProductType)
    is_active = models.BooleanField(default=True)
    is_giftable = models.BooleanField(
        default=False,
        help_text="Players may send it to one another (POST /transfers). Trusted backends "
        "move any product.",
    )
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
