"""The currency services content managers use through the admin: the default moves, never
disappears; invalid currencies are refused; an inactive currency sells nothing."""

import pytest
from django.core.exceptions import ValidationError

from economy.catalog import selectors, services
from economy.catalog.models import Currency
from tests.factories import CurrencyFactory, ProductFactory, UserFactory
from tests.support.api import client_for, purchase

pytestmark = pytest.mark.django_db


def test_making_a_currency_the_default_moves_the_default():
    gems = CurrencyFactory(code="gems", is_active=False)
    services.make_default_currency(currency=gems)
    assert list(Currency.objects.filter(is_default=True).values_list("code", flat=True)) == ["gems"]
    gems.refresh_from_db()
    assert gems.is_active
    assert selectors.get_currency(None).code == "gems"  # the cache follows on commit


def test_the_default_currency_cannot_be_deactivated():
    coins = Currency.objects.get(is_default=True)
    coins.is_active = False
    with pytest.raises(ValidationError, match="must be active"):
        services.save_currency(currency=coins)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"initial_grant": 100, "max_balance": 50}, "cover the initial grant"),
        ({"max_balance": 0}, "must be positive"),
        ({"code": "Gems"}, "Lowercase"),
    ],
)
def test_invalid_currencies_are_refused(fields, message):
    with pytest.raises(ValidationError, match=message):
        services.save_currency(currency=Currency(name="Gems", **{"code": "gems", **fields}))
    assert not Currency.objects.filter(name="Gems").exists()


def test_a_product_in_an_inactive_currency_is_not_for_sale():
    gems = CurrencyFactory(code="gems")
    egg = ProductFactory(price_currency=gems)
    client = client_for(UserFactory())
    gems.is_active = False
    services.save_currency(currency=gems)

    assert purchase(client, egg).json()["error"]["code"] == "product_unavailable"
    ids = [product["id"] for product in client.get("/api/v1/products").json()["results"]]
    assert egg.pk not in ids
