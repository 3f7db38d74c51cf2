"""Who may see what in /admin/: the groups created by backoffice/0001_groups, with the currency
and wallet permissions backoffice/0002_currencies_and_wallets adds and the hold and event ones
of backoffice/0003_holds_and_events."""

import pytest
from django.contrib.auth.models import Group

from economy.catalog.models import Currency
from tests.factories import ProductFactory, UserFactory, default_currency
from tests.support.admin import CONTENT_MANAGERS, SUPPORT, login

pytestmark = pytest.mark.django_db

PRODUCTS = "/admin/catalog/product/"
USERS = "/admin/accounts/user/"
TRANSACTIONS = "/admin/ledger/transaction/"
INVENTORY = "/admin/inventory/inventoryitem/"
CURRENCIES = "/admin/catalog/currency/"
WALLETS = "/admin/ledger/wallet/"


def perms(group_name):
    group = Group.objects.get(name=group_name)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_content_managers_may_run_products_their_bundle_contents_and_currencies_only(groups):
    bundle_contents = {
        f"catalog.{action}_{model}"
        for model in ("currencygrant", "itemgrant")
        for action in ("add", "change", "delete", "view")
    }
    assert perms(CONTENT_MANAGERS) == {
        "catalog.add_product",
        "catalog.change_product",
        "catalog.view_product",
        "catalog.add_currency",
        "catalog.change_currency",
        "catalog.view_currency",
        *bundle_contents,
    }


def test_support_views_everything_and_may_grant_and_refund(groups):
    assert perms(SUPPORT) == {
        "accounts.view_user",
        "catalog.view_product",
        "catalog.view_currency",
        "catalog.view_currencygrant",
        "catalog.view_itemgrant",
        "inventory.view_inventoryitem",
        "ledger.view_transaction",
        "ledger.view_wallet",
        "common.view_idempotencyrecord",
        "accounts.add_funds",
        "ledger.refund_purchase",
        "ledger.view_hold",
        "ledger.void_hold",
        "events.view_event",
        "transfers.view_transfer",
        "webhooks.view_endpoint",
        "webhooks.view_delivery",
        "webhooks.redeliver_delivery",
        "accounts.view_apitoken",
        "accounts.delete_apitoken",
        "accounts.view_externalidentity",
    }


def test_the_groups_migration_can_run_again_without_duplicates(groups):
    from tests.support.admin import ensure_groups

    ensure_groups()
    assert Group.objects.filter(name__in=[CONTENT_MANAGERS, SUPPORT]).count() == 2


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(PRODUCTS)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_player_who_is_not_staff_is_sent_to_the_login_page(db):
    response = login(UserFactory()).get(PRODUCTS)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_content_manager_runs_the_catalog(content_client):
    product = ProductFactory()
    assert content_client.get(PRODUCTS).status_code == 200
    assert content_client.get(f"{PRODUCTS}add/").status_code == 200
    assert content_client.get(f"{PRODUCTS}{product.pk}/change/").status_code == 200


def test_content_manager_runs_the_currencies(content_client):
    currency = default_currency()
    assert content_client.get(CURRENCIES).status_code == 200
    assert content_client.get(f"{CURRENCIES}add/").status_code == 200
    assert content_client.get(f"{CURRENCIES}{currency.pk}/change/").status_code == 200


def test_no_one_deletes_a_currency_not_even_a_superuser(superuser_client):
    currency = default_currency()
    assert superuser_client.get(f"{CURRENCIES}{currency.pk}/delete/").status_code == 403
    assert Currency.objects.filter(pk=currency.pk).exists()


@pytest.mark.parametrize("url", [TRANSACTIONS, USERS, INVENTORY, WALLETS])
def test_content_manager_cannot_see_players_or_the_ledger(content_client, url):
    assert content_client.get(url).status_code == 403


def test_content_manager_cannot_grant_funds(content_client):
    player = UserFactory()
    response = content_client.get(f"{USERS}{player.pk}/grant-funds/")
    assert response.status_code == 403


def test_content_manager_home_lists_only_the_catalog(content_client):
    body = content_client.get("/admin/").content.decode()
    assert PRODUCTS in body
    assert TRANSACTIONS not in body
    assert USERS not in body


@pytest.mark.parametrize("url", [PRODUCTS, USERS, TRANSACTIONS, INVENTORY, CURRENCIES, WALLETS])
def test_support_sees_everything(support_client, url):
    assert support_client.get(url).status_code == 200


def test_support_cannot_edit_currencies(support_client):
    currency = default_currency()
    assert support_client.get(f"{CURRENCIES}add/").status_code == 403
    response = support_client.post(
        f"{CURRENCIES}{currency.pk}/change/",
        {"name": "Hacked", "initial_grant": 1_000_000, "is_active": "on"},
    )
    assert response.status_code == 403
    currency.refresh_from_db()
    assert (currency.name, currency.initial_grant) != ("Hacked", 1_000_000)


def test_wallets_are_read_only_for_support_and_superusers_alike(support_client, superuser_client):
    wallet = UserFactory(funds=100).wallets.get()
    for client in (support_client, superuser_client):
        assert client.get(f"{WALLETS}{wallet.pk}/change/").status_code == 200
        assert client.get(f"{WALLETS}add/").status_code == 403
        assert client.get(f"{WALLETS}{wallet.pk}/delete/").status_code == 403
        body = client.get(f"{WALLETS}{wallet.pk}/change/").content.decode()
        assert 'name="_save"' not in body


def test_support_cannot_edit_products(support_client):
    product = ProductFactory(price=100)
    assert support_client.get(f"{PRODUCTS}add/").status_code == 403
    response = support_client.post(
        f"{PRODUCTS}{product.pk}/change/",
        {"name": "Hacked", "type": "consumable", "price": 1, "is_active": "on"},
    )
    assert response.status_code == 403
    product.refresh_from_db()
    assert (product.name, product.price) != ("Hacked", 1)


def test_support_sees_a_user_read_only_with_the_grant_link(support_client):
    player = UserFactory()
    body = support_client.get(f"{USERS}{player.pk}/change/").content.decode()
    assert f"{USERS}{player.pk}/grant-funds/" in body
    assert 'name="_save"' not in body


def test_staff_without_the_permission_sees_no_grant_link_and_cannot_grant(db):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_user"))
    player = UserFactory()
    client = login(viewer)

    assert "grant-funds" not in client.get(f"{USERS}{player.pk}/change/").content.decode()
    assert client.get(f"{USERS}{player.pk}/grant-funds/").status_code == 403
