"""The admin is for staff: anyone else is sent to the login page, whatever page they ask for."""

import pytest

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "/admin/",
    "/admin/accounts/user/",
    "/admin/accounts/user/{player}/change/",
    "/admin/accounts/user/{player}/grant-funds/",
    "/admin/economy/dashboard/",
    "/admin/catalog/product/",
    "/admin/catalog/product/add/",
    "/admin/catalog/currency/",
    "/admin/catalog/currency/add/",
    "/admin/ledger/transaction/",
    "/admin/ledger/wallet/",
    "/admin/inventory/inventoryitem/",
    "/admin/common/idempotencyrecord/",
]


@pytest.mark.parametrize("page", ADMIN_PAGES)
@pytest.mark.parametrize("who", ["anonymous", "player", "backend"])
def test_admin_pages_redirect_non_staff_to_the_login(page, who, client, request, player):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    url = page.format(player=player.pk)
    response = client.get(url)
    assert response.status_code == 302, (url, response.status_code)
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("who", ["anonymous", "player"])
def test_admin_posts_by_non_staff_change_nothing(who, client, request, product):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    client.handler.enforce_csrf_checks = False
    response = client.post(
        f"/admin/catalog/product/{product.pk}/change/",
        {"name": "Hacked", "price": 1, "type": "consumable", "is_active": "on"},
    )
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    product.refresh_from_db()
    assert (product.name, product.price) != ("Hacked", 1)


@pytest.mark.parametrize("who", ["anonymous", "player", "backend"])
def test_admin_grants_by_non_staff_change_nothing(who, client, request, player):
    from tests.support.ledger import snapshot

    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    client.handler.enforce_csrf_checks = False
    before = snapshot()
    response = client.post(
        f"/admin/accounts/user/{player.pk}/grant-funds/",
        {"currency": "coins", "amount": 100_000, "reason": "Free money", "confirm": "Confirm"},
    )
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert snapshot() == before


def test_an_api_token_does_not_open_the_admin(client, staff):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=staff)
    response = client.get("/admin/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
