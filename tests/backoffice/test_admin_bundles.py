"""Content managers build bundles, time-limited items, limits and windows in the admin."""

from datetime import timedelta

import pytest

from economy.catalog.models import CurrencyGrant, ItemGrant, Product
from economy.inventory.services import purchase_product
from tests.factories import (
    CurrencyFactory,
    PermanentProductFactory,
    ProductFactory,
    UserFactory,
)
from tests.support.admin import product_form

pytestmark = pytest.mark.django_db

URL = "/admin/catalog/product/"


def bundle_form(**overrides):
    return product_form(**{"name": "Starter pack", **overrides})


def errors_of(response):
    """Every error the change form shows: the form's, then each inline's."""
    found = dict(response.context["adminform"].form.errors)
    for formset in response.context["inline_admin_formsets"]:
        found |= {"inline": [*formset.formset.non_form_errors(), *formset.formset.errors]}
    return found


def test_a_content_manager_creates_a_bundle_that_sells_with_its_contents(content_client):
    gems = CurrencyFactory(code="gems")
    boost = ProductFactory(name="Boost")

    response = content_client.post(
        f"{URL}add/",
        bundle_form(
            purchase_limit=1,
            duration="30 days",
            currencies=[(gems.pk, 100)],
            items=[(boost.pk, 3)],
        ),
    )

    assert response.status_code == 302, errors_of(response)
    pack = Product.objects.get(name="Starter pack")
    assert (pack.purchase_limit, pack.duration) == (1, timedelta(days=30))
    assert [(g.currency.code, g.amount) for g in CurrencyGrant.objects.filter(bundle=pack)] == [
        ("gems", 100)
    ]
    assert [(g.product, g.quantity) for g in ItemGrant.objects.filter(bundle=pack)] == [(boost, 3)]
    # The new contents are what a purchase delivers at once (the catalog cache went stale).
    player = UserFactory(funds=1000)
    result = purchase_product(user_id=player.pk, product_id=pack.pk)
    assert [d.product for d in result.granted_items] == [boost]
    page = content_client.get(URL).content.decode()
    assert "250 coins" in page and "1 lifetime" in page and "Permanent, 30 days" in page


def test_a_bundle_granting_itself_or_a_cycle_is_refused(content_client):
    inner = PermanentProductFactory(name="Inner")
    outer = PermanentProductFactory(name="Outer")
    ItemGrant.objects.create(bundle=outer, product=inner)

    # Inner granting Outer would close the loop Outer -> Inner -> Outer.
    response = content_client.post(
        f"{URL}{inner.pk}/change/",
        product_form(name="Inner", items=[(outer.pk, 1)]),
    )

    assert response.status_code == 200
    assert "grants Inner itself" in str(errors_of(response)["inline"])
    assert not ItemGrant.objects.filter(bundle=inner).exists()


def test_a_permanent_is_granted_once(content_client):
    skin = PermanentProductFactory(name="Skin")

    response = content_client.post(f"{URL}add/", bundle_form(items=[(skin.pk, 2)]))

    assert response.status_code == 200
    assert "quantity 1" in str(errors_of(response)["inline"])
    assert not Product.objects.filter(name="Starter pack").exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"purchase_limit": 0}, "purchase_limit", "at least 1"),
        ({"duration": "-1 day"}, "__all__", "longer than zero"),
        (
            {
                "available_from_0": "2027-01-02",
                "available_from_1": "00:00:00",
                "available_until_0": "2027-01-01",
                "available_until_1": "00:00:00",
            },
            "__all__",
            "end after it starts",
        ),
    ],
)
def test_bad_rules_get_a_clear_form_error_and_change_nothing(
    content_client, fields, field, message
):
    response = content_client.post(f"{URL}add/", bundle_form(**fields))

    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    assert not Product.objects.filter(name="Starter pack").exists()
