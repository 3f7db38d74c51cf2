from django.db.models import QuerySet

from . import cache
from .models import Currency, Product

# What buying, using or transferring a product needs to know of it, its currency included.
_SALE_FIELDS = ("id", "name", "price", "type", "is_active", "is_giftable", "price_currency")


def active_products() -> QuerySet[Product]:
    return (
        Product.objects.filter(is_active=True, price_currency__is_active=True)
        .select_related("price_currency")
        .order_by("id")
    )


def get_product(product_id: int) -> Product:
    """The product with the fields a purchase or a use reads, its price currency loaded, from
    the cache when it can: as current as a database read made before the purchase's
    transaction, since a catalog change replaces the catalog's version on commit. Raises
    Product.DoesNotExist."""
    return cache.get_or_build(
        f"product:{product_id}",
        lambda: (
            Product.objects.select_related("price_currency")
            .only(*_SALE_FIELDS, "price_currency")
            .get(pk=product_id)
        ),
    )


def active_currencies() -> QuerySet[Currency]:
    return Currency.objects.filter(is_active=True).order_by("id")


def get_currency(code: str | None = None) -> Currency:
    """The active currency `code` names, or the default currency when `code` is None; from
    the cache when it can, like get_product. Raises Currency.DoesNotExist."""
    if code is None:
        return cache.get_or_build("currency:default", lambda: Currency.objects.get(is_default=True))
    return cache.get_or_build(f"currency:{code}", lambda: active_currencies().get(code=code))
