from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models


class ProductType(models.TextChoices):
    CONSUMABLE = "consumable", "Consumable"
    PERMANENT = "permanent", "Permanent"


class LimitPeriod(models.TextChoices):
    """Over what a per-player purchase limit counts: UTC days, ISO weeks (from Monday, UTC)."""

    LIFETIME = "lifetime", "Lifetime"
    DAY = "day", "Per day (UTC)"
    WEEK = "week", "Per week (from Monday, UTC)"


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
    duration = models.DurationField(
        null=True,
        blank=True,
        help_text="A permanent: how long it lasts once bought (a repurchase extends it). A "
        "consumable: how long its effect lasts once used (using more extends it). Written "
        "like '30 days', '1 day' or '12:00:00'; empty for forever / no effect.",
    )
    available_from = models.DateTimeField(
        null=True, blank=True, help_text="On sale from then (UTC); empty: already on sale."
    )
    available_until = models.DateTimeField(
        null=True, blank=True, help_text="On sale until then (UTC); empty: no end."
    )
    purchase_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The most units one player may buy in the period below; empty for no "
        "limit. Counted from completed purchases: a refund does not give the allowance back.",
    )
    limit_period = models.CharField(
        max_length=16,
        choices=LimitPeriod,
        default=LimitPeriod.LIFETIME,
        help_text="Over what the purchase limit counts.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration__isnull=True) | models.Q(duration__gt=timedelta(0)),
                name="product_duration_gt_0",
                violation_error_message="A duration must be longer than zero.",
            ),
            models.CheckConstraint(
                condition=models.Q(available_from__isnull=True)
                | models.Q(available_until__isnull=True)
                | models.Q(available_until__gt=models.F("available_from")),
                name="product_window_ordered",
                violation_error_message="The sale must end after it starts.",
            ),
            models.CheckConstraint(
                condition=models.Q(purchase_limit__isnull=True) | models.Q(purchase_limit__gt=0),
                name="product_limit_gt_0",
                violation_error_message="A purchase limit must be at least 1; empty for none.",
            ),
            models.CheckConstraint(
                condition=models.Q(limit_period__in=LimitPeriod.values),
                name="product_limit_period_valid",
            ),
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

    @property
    def is_time_limited(self) -> bool:
        """A permanent that lasts `duration` once bought, then is no longer owned."""
        return not self.is_consumable and self.duration is not None

    def limit_window(self, at: datetime) -> tuple[datetime | None, datetime | None]:
        """The period the purchase limit counts over at `at`: when it began (None: lifetime)
        and when the next one begins (None: never resets). UTC days, weeks from Monday."""
        if self.limit_period == LimitPeriod.LIFETIME:
            return None, None
        day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        if self.limit_period == LimitPeriod.DAY:
            return day, day + timedelta(days=1)
        week = day - timedelta(days=day.weekday())
        return week, week + timedelta(weeks=1)

    def is_on_sale(self, at: datetime) -> bool:
        """Active, in an active currency, and inside its availability window at `at`."""
        return (
            self.is_active
            and self.price_currency.is_active
            and (self.available_from is None or self.available_from <= at)
            and (self.available_until is None or at < self.available_until)
        )


class CurrencyGrant(models.Model):
    """An amount of a currency a bundle delivers with each unit bought, from faucet:rewards."""

    bundle = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="currency_grants")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    amount = models.PositiveBigIntegerField(help_text="Given with each unit of the bundle.")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bundle", "currency"],
                name="currency_grant_unique",
                violation_error_message="This bundle already grants that currency.",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0, amount__lte=MAX_PRICE),
                name="currency_grant_amount_valid",
                violation_error_message=f"The amount must be between 1 and {MAX_PRICE}.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class ItemGrant(models.Model):
    """Units of another product a bundle delivers with each unit bought (its own grants with
    it: bundles nest, but never in a cycle)."""

    bundle = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="item_grants")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(
        default=1, help_text="Units with each unit of the bundle; 1 for a permanent."
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bundle", "product"],
                name="item_grant_unique",
                violation_error_message="This bundle already grants that product.",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0, quantity__lte=1000),
                name="item_grant_quantity_valid",
                violation_error_message="The quantity must be between 1 and 1000.",
            ),
            models.CheckConstraint(
                condition=~models.Q(bundle=models.F("product")),
                name="item_grant_not_itself",
                violation_error_message="A bundle cannot grant itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} x{self.quantity}"

    def clean(self) -> None:
        product = self.product if self.product_id else None
        if product is not None and not product.is_consumable and self.quantity != 1:
            raise ValidationError({"quantity": "A permanent is granted once: quantity 1."})
