from django.db.models import QuerySet

from . import cache
from .models import Product

# What buying or using a product needs to know of it.
_SALE_FIELDS = ("id", "name", "price", "type", "is_active")


def active_products() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).order_by("id")


def get_product(product_id: int) -> Product:
    """The product with the fields a purchase or a use reads, from the cache when it can: as
    current as a database read made before the purchase's transaction, since a product change
    replaces the catalog's version on commit. Raises Product.DoesNotExist."""
    return cache.get_or_build_product(
        product_id, lambda: Product.objects.only(*_SALE_FIELDS).get(pk=product_id)
    )
