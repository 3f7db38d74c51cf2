"""Writes to the catalog: products and currencies. Each replaces the catalog's version on
commit, so every cache showing catalog details goes stale at once."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import cache
from .models import Currency, ItemGrant, Product


def save_product(*, product: Product) -> Product:
    """Create or edit a product. The ledger keeps the price each purchase paid, so a new price
    never alters the past."""
    with transaction.atomic():
        product.full_clean()
        product.save()
        cache.bump_version_on_commit()
    return product


def check_grants(*, bundle: Product, granted: Iterable[Product]) -> None:
    """Refuse contents that would make `bundle` grant itself, directly or through a bundle it
    grants (a cycle would deliver forever). Raises ValidationError naming the product."""
    for product in granted:
        if product.pk == bundle.pk or (bundle.pk and _grants(product.pk, bundle.pk)):
            raise ValidationError(
                f"{product} cannot be granted by {bundle}: it grants {bundle} itself, "
                "directly or through the bundles it contains."
            )


def _grants(bundle_id: int, product_id: int) -> bool:
    """Whether the bundle delivers the product, at any depth of the bundles it grants."""
    seen: set[int] = set()
    frontier = {bundle_id}
    while frontier:
        seen |= frontier
        granted = set(
            ItemGrant.objects.filter(bundle_id__in=frontier).values_list("product_id", flat=True)
        )
        if product_id in granted:
            return True
        frontier = granted - seen
    return False


def contents_changed() -> None:
    """A bundle's contents were edited: every cached offer goes stale on commit."""
    cache.bump_version_on_commit()


def set_products_active(*, product_ids: Iterable[int], is_active: bool) -> int:
    """Activate or deactivate products in one UPDATE; returns how many changed.

    A deactivated product stays in inventories and in the ledger; it can no longer be bought.
    """
    with transaction.atomic():
        changed = (
            Product.objects.filter(pk__in=product_ids)
            .exclude(is_active=is_active)
            .update(is_active=is_active, updated_at=timezone.now())
        )
        if changed:
            cache.bump_version_on_commit()
    return changed


def save_currency(*, currency: Currency) -> Currency:
    """Create or edit a currency (the default moves only with make_default_currency). Raises
    ValidationError for invalid fields, a maximum below the initial grant among them."""
    with transaction.atomic():
        currency.full_clean()
        currency.save()
        cache.bump_version_on_commit()
    return currency


def make_default_currency(*, currency: Currency) -> Currency:
    """Make `currency` the default, in the old default's place, in one transaction: there is
    always exactly one (the database refuses anything else). It becomes active if it was not."""
    with transaction.atomic():
        Currency.objects.filter(is_default=True).exclude(pk=currency.pk).update(is_default=False)
        Currency.objects.filter(pk=currency.pk).update(is_default=True, is_active=True)
        cache.bump_version_on_commit()
    currency.refresh_from_db()
    return currency
