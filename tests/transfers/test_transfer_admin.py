"""Transfers in /admin/: read-only for everyone, viewable by Support (transfers/0003), with the
giftable flags and the daily limit in the catalog's pages."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from economy.catalog.models import Currency, Product
from economy.transfers import services
from tests.factories import StaffFactory, UserFactory
from tests.support.admin import (
    CONTENT_MANAGERS,
    SUPPORT,
    ensure_groups,
    login,
    product_form,
    role_migrations,
    staff_in,
)

pytestmark = pytest.mark.django_db

URL = "/admin/transfers/transfer/"


@pytest.fixture
def support_client(db):
    """Support as the migrations leave it: the back office's groups, then this app's grant."""
    return login(staff_in(SUPPORT, username="sam"))


@pytest.fixture
def transfers(alice, bob, gems, potion, alice_items):
    money = services.transfer_currency(
        from_user_id=alice.pk, to_user_id=bob.pk, currency=gems, amount=15, actor=alice
    ).transfer
    items = services.transfer_items(
        from_user_id=alice.pk, to_user_id=bob.pk, product_id=potion.pk, quantity=2, actor=alice
    ).transfer
    return money, items


def test_the_migration_grants_support_the_view_permission_once(db):
    ensure_groups()
    grant = role_migrations[0].code
    grant(apps, None)
    grant(apps, None)
    codenames = Group.objects.get(name=SUPPORT).permissions.filter(
        content_type__app_label="transfers"
    )
    assert list(codenames.values_list("codename", flat=True)) == ["view_transfer"]


def test_support_sees_the_transfers_and_each_one(support_client, transfers):
    money, items = transfers
    page = support_client.get(URL)
    assert page.status_code == 200
    assert {row.pk for row in page.context["cl"].result_list} == {money.pk, items.pk}
    text = page.content.decode()
    assert "15 gems" in text and "2 x Potion" in text
    detail = support_client.get(f"{URL}{money.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


def test_search_by_either_party(support_client, transfers, bob):
    carol = UserFactory(username="carol")
    page = support_client.get(URL, {"q": "bob"})
    assert len(page.context["cl"].result_list) == 2
    page = support_client.get(URL, {"q": carol.username})
    assert len(page.context["cl"].result_list) == 0


def test_nobody_adds_changes_or_deletes_a_transfer(transfers):
    root = login(StaffFactory(username="root", is_superuser=True))
    money, _ = transfers
    assert root.get(f"{URL}add/").status_code == 403
    assert root.get(f"{URL}{money.pk}/delete/").status_code == 403
    assert root.post(f"{URL}{money.pk}/change/", {"amount": 10**6}).status_code == 403
    assert root.get(URL).context["action_form"] is None  # no action at all, delete included


def test_a_content_manager_does_not_see_transfers(transfers):
    assert login(staff_in(CONTENT_MANAGERS, username="carol")).get(URL).status_code == 403


def test_content_managers_set_what_is_giftable(db, coins):
    client = login(staff_in(CONTENT_MANAGERS, username="carol"))
    response = client.post(
        f"/admin/catalog/currency/{coins.pk}/change/",
        {
            "name": "Coins",
            "initial_grant": 0,
            "max_balance": "",
            "is_active": "on",
            "is_giftable": "on",
            "daily_transfer_limit": 250,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    coins = Currency.objects.get(pk=coins.pk)
    assert (coins.is_giftable, coins.daily_transfer_limit, coins.transfer_limit) == (True, 250, 250)

    response = client.post(
        "/admin/catalog/product/add/",
        product_form(
            name="Rose",
            description="",
            type="consumable",
            price=5,
            price_currency=coins.pk,
            is_giftable="on",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Product.objects.get(name="Rose").is_giftable
    listing = client.get("/admin/catalog/product/", {"is_giftable__exact": "1"})
    assert [p.name for p in listing.context["cl"].result_list] == ["Rose"]
