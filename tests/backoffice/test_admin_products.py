"""The catalog in /admin/: list, search, filters, bulk actions, price validation."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from economy.catalog.models import Product
from economy.common.exceptions import InsufficientFunds
from economy.inventory.services import purchase_product
from economy.ledger.models import Kind, Transaction
from tests.factories import (
    CurrencyFactory,
    PermanentProductFactory,
    ProductFactory,
    UserFactory,
    default_currency,
)
from tests.support.admin import product_form
from tests.support.ledger import backdated_purchase, balance_of

pytestmark = pytest.mark.django_db

URL = "/admin/catalog/product/"


def listed(response):
    return {product.name: product for product in response.context["cl"].result_list}


def test_list_shows_completed_purchases_of_the_last_7_days(content_client):
    potion, sword = ProductFactory(name="Potion", price=10), ProductFactory(name="Sword")
    player = UserFactory(funds=1000)
    for _ in range(3):
        purchase_product(user_id=player.pk, product_id=potion.pk)
    backdated_purchase(player, potion, timezone.now() - timedelta(days=8))  # out of the window
    poor = UserFactory(funds=1)
    with pytest.raises(InsufficientFunds):
        purchase_product(user_id=poor.pk, product_id=potion.pk)  # a failed row: not counted
    assert Transaction.objects.filter(product=potion, kind=Kind.PURCHASE).count() == 5

    rows = listed(content_client.get(URL))

    assert rows["Potion"].purchases_7d == 3
    assert rows["Sword"].purchases_7d == 0
    assert sword.pk  # listed with 0, not left out


def test_the_list_costs_the_same_queries_for_3_or_30_products(content_client):
    for _ in range(3):
        ProductFactory()
    content_client.get(URL)
    with CaptureQueriesContext(connection) as few:
        content_client.get(URL)
    for _ in range(27):
        ProductFactory()
    with CaptureQueriesContext(connection) as many:
        content_client.get(URL)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_search_by_name(content_client):
    ProductFactory(name="Golden skin"), ProductFactory(name="Health potion")
    assert set(listed(content_client.get(URL, {"q": "golden"}))) == {"Golden skin"}


def test_filter_by_type_and_active(content_client):
    ProductFactory(name="Potion"), ProductFactory(name="Old potion", is_active=False)
    PermanentProductFactory(name="Skin")

    assert set(listed(content_client.get(URL, {"type__exact": "permanent"}))) == {"Skin"}
    assert set(listed(content_client.get(URL, {"is_active__exact": "0"}))) == {"Old potion"}
    assert set(
        listed(content_client.get(URL, {"type__exact": "consumable", "is_active__exact": "1"}))
    ) == {"Potion"}


def bulk(client, action, products):
    return client.post(
        URL, {"action": action, "index": 0, "_selected_action": [p.pk for p in products]}
    )


def test_bulk_deactivate_then_activate(content_client):
    first, second, untouched = ProductFactory(), ProductFactory(), ProductFactory()

    response = bulk(content_client, "deactivate", [first, second])
    assert response.status_code == 302
    assert set(Product.objects.filter(is_active=False)) == {first, second}

    bulk(content_client, "activate", [first])
    assert set(Product.objects.filter(is_active=False)) == {second}
    untouched.refresh_from_db()
    assert untouched.is_active


def form_data(**overrides):
    return product_form(**{"name": "Magic wand", "description": "Sparkles.", **overrides})


def test_content_manager_creates_a_product(content_client):
    response = content_client.post(f"{URL}add/", form_data())
    assert response.status_code == 302
    wand = Product.objects.get(name="Magic wand")
    assert (wand.type, wand.price, wand.price_currency, wand.is_active) == (
        "permanent",
        250,
        default_currency(),
        True,
    )


def test_the_add_form_offers_the_default_currency_first(content_client):
    page = content_client.get(f"{URL}add/")
    assert page.context["adminform"].form.initial["price_currency"] == default_currency()


def test_a_product_priced_in_another_currency_is_listed_with_it(content_client):
    gems = CurrencyFactory(code="gems")
    response = content_client.post(
        f"{URL}add/", form_data(name="Crown", price=5, price_currency=gems.pk)
    )
    assert response.status_code == 302
    assert Product.objects.get(name="Crown").price_currency == gems

    page = content_client.get(URL)
    assert "5 gems" in page.content.decode()
    assert set(listed(content_client.get(URL, {"price_currency__id__exact": gems.pk}))) == {"Crown"}


def test_a_product_needs_a_currency(content_client):
    response = content_client.post(f"{URL}add/", form_data(price_currency=""))
    assert response.status_code == 200
    assert "price_currency" in response.context["adminform"].form.errors
    assert not Product.objects.filter(name="Magic wand").exists()


@pytest.mark.parametrize("price", [0, -5])
def test_a_price_not_above_zero_is_a_form_error_not_a_500(content_client, price):
    response = content_client.post(f"{URL}add/", form_data(price=price))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["price"] == [
        "The price must be greater than 0."
    ]
    assert not Product.objects.filter(name="Magic wand").exists()


# The new price reaches purchases when the change commits (the product cache's version).
@pytest.mark.django_db(transaction=True)
def test_a_price_change_never_alters_past_ledger_rows(content_client):
    product = ProductFactory(name="Potion", price=100)
    player = UserFactory(funds=1000)
    purchase = purchase_product(user_id=player.pk, product_id=product.pk, quantity=2).transaction

    response = content_client.post(
        f"{URL}{product.pk}/change/", form_data(name="Potion", type="consumable", price=175)
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.price == 175
    purchase.refresh_from_db()
    assert (purchase.unit_price, purchase.amount) == (100, 200)
    assert balance_of(player) == 800
    later = purchase_product(user_id=player.pk, product_id=product.pk).transaction
    assert later.unit_price == 175
    assert Transaction.objects.filter(kind=Kind.PURCHASE).count() == 2


def test_products_cannot_be_deleted_from_the_admin(superuser_client):
    product = ProductFactory()
    assert superuser_client.get(f"{URL}{product.pk}/delete/").status_code == 403
