from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from . import cache
from .models import Currency, CurrencyGrant, ItemGrant, Product

# What buying, using or transferring a product needs to know of it, its currency included.
_SALE_FIELDS = (
    "id",
    "name",
    "price",
    "type",
    "is_active",
    "is_giftable",
    "price_currency",
    "duration",
    "available_from",
    "available_until",
    "purchase_limit",
    "limit_period",
)


def on_sale(at: datetime | None = None) -> Q:
    """Products on sale at `at` (now by default): active, in an active currency, inside their
    availability window. Product.is_on_sale says the same of one product."""
    at = at or timezone.now()
    return (
        Q(is_active=True, price_currency__is_active=True)
        & (Q(available_from__isnull=True) | Q(available_from__lte=at))
        & (Q(available_until__isnull=True) | Q(available_until__gt=at))
    )


def active_products() -> QuerySet[Product]:
    """The catalog as players see it: what is on sale now, with what each bundle grants."""
    return (
        Product.objects.filter(on_sale())
        .select_related("price_currency")
        .prefetch_related("currency_grants__currency", "item_grants__product")
        .order_by("id")
    )


def get_product(product_id: int) -> Product:
    """The product with the fields a purchase or a use reads, its price currency loaded, from
    the cache when it can: as current as a database read made before the purchase's
    transaction, since a catalog change replaces the catalog's version on commit. Raises
    Product.DoesNotExist."""
    return cache.get_or_build(f"product:{product_id}", lambda: _sale_product(product_id))


@dataclass(frozen=True)
class Contents:
    """What a product delivers besides itself: currencies from faucet:rewards and units of
    other products, nested bundles expanded. Items are in product id order, the order their
    inventory rows are locked in."""

    currencies: tuple[tuple[Currency, int], ...] = ()
    items: tuple[tuple[Product, int], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.currencies or self.items)

    def times(self, units: int) -> "Contents":
        return Contents(
            tuple((currency, amount * units) for currency, amount in self.currencies),
            tuple((product, quantity * units) for product, quantity in self.items),
        )


@dataclass(frozen=True)
class Offer:
    """A product as a purchase reads it: its sale fields and what it delivers."""

    product: Product
    contents: Contents


def contents_of(product_id: int) -> Contents:
    """What one unit of the product delivers, nested bundles expanded (their grants multiply by
    the units granted). Raises ValueError on a cycle, which validation keeps out of the
    catalog (services.check_grants)."""
    currencies: dict[int, tuple[Currency, int]] = {}
    items: dict[int, tuple[Product, int]] = {}

    def expand(bundle_id: int, units: int, path: tuple[int, ...]) -> None:
        if bundle_id in path:
            raise ValueError(f"Product {bundle_id} grants itself through {path}.")
        for grant in CurrencyGrant.objects.filter(bundle_id=bundle_id).select_related("currency"):
            _, amount = currencies.get(grant.currency_id, (grant.currency, 0))
            currencies[grant.currency_id] = (grant.currency, amount + grant.amount * units)
        item_grants = ItemGrant.objects.filter(bundle_id=bundle_id).select_related(
            "product__price_currency"
        )
        for item in item_grants:
            _, quantity = items.get(item.product_id, (item.product, 0))
            items[item.product_id] = (item.product, quantity + item.quantity * units)
            expand(item.product_id, item.quantity * units, (*path, bundle_id))

    expand(product_id, 1, ())
    return Contents(
        tuple(currencies[pk] for pk in sorted(currencies)),
        tuple(items[pk] for pk in sorted(items)),
    )


def get_offer(product_id: int) -> Offer:
    """The product with its sale fields and what it delivers, from the cache when it can (as
    current as get_product). Raises Product.DoesNotExist."""
    return cache.get_or_build(
        f"offer:{product_id}",
        lambda: Offer(_sale_product(product_id), contents_of(product_id)),
    )


def _sale_product(product_id: int) -> Product:
    return (
        Product.objects.select_related("price_currency")
        .only(*_SALE_FIELDS, "price_currency")
        .get(pk=product_id)
    )


def active_currencies() -> QuerySet[Currency]:
    return Currency.objects.filter(is_active=True).order_by("id")


def get_currency(code: str | None = None) -> Currency:
    """The active currency `code` names, or the default currency when `code` is None; from
    the cache when it can, like get_product. Raises Currency.DoesNotExist."""
    if code is None:
        return cache.get_or_build("currency:default", lambda: Currency.objects.get(is_default=True))
    return cache.get_or_build(f"currency:{code}", lambda: active_currencies().get(code=code))
