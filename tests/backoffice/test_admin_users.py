"""Users in /admin/: balance read-only, inventory and ledger inline, grant funds."""

import pytest
from django.contrib.messages import get_messages
from django.test import override_settings

from economy.accounts.models import User
from economy.inventory.services import purchase_product
from economy.ledger.models import Kind, Transaction
from tests.factories import ProductFactory, UserFactory
from tests.support.ledger import assert_ledger_consistent

pytestmark = pytest.mark.django_db

URL = "/admin/accounts/user/"


def change_data(user, **overrides):
    return {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "last_login_0": "",
        "last_login_1": "",
        **inline_management("inventory_items"),
        **inline_management("transactions"),
        **overrides,
    }


def inline_management(prefix):
    return {f"{prefix}-{key}": value for key, value in [("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0)]}


def test_the_balance_is_shown_but_cannot_be_edited(superuser_client):
    player = UserFactory(funds=100)
    page = superuser_client.get(f"{URL}{player.pk}/change/")
    form = page.context["adminform"].form
    assert "balance" not in form.fields
    assert "100" in page.content.decode()

    response = superuser_client.post(
        f"{URL}{player.pk}/change/", change_data(player, balance=1_000_000, first_name="Pat")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    player.refresh_from_db()
    assert (player.first_name, player.balance) == ("Pat", 100)


def test_the_change_page_shows_inventory_and_the_latest_20_transactions(support_client):
    player = UserFactory(funds=10_000)
    potion = ProductFactory(name="Potion", price=1)
    for _ in range(25):
        purchase_product(user_id=player.pk, product_id=potion.pk)

    page = support_client.get(f"{URL}{player.pk}/change/")

    formsets = {fs.formset.prefix: fs.formset for fs in page.context["inline_admin_formsets"]}
    assert [form.instance.quantity for form in formsets["inventory_items"].forms] == [25]
    shown = [form.instance.pk for form in formsets["transactions"].forms]
    latest = list(Transaction.objects.filter(user=player).values_list("pk", flat=True)[:20])
    assert shown == latest


def test_a_superuser_can_still_add_a_user(superuser_client):
    response = superuser_client.post(
        f"{URL}add/",
        {
            "username": "newbie",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="newbie").balance == 0


def grant(client, user, **data):
    return client.post(f"{URL}{user.pk}/grant-funds/", data)


def test_grant_funds_writes_an_adjustment_with_the_reason_and_the_staff_member(
    support, support_client
):
    player = UserFactory(funds=100)
    assert support_client.get(f"{URL}{player.pk}/grant-funds/").status_code == 200

    response = grant(support_client, player, amount=250, reason="Compensation for outage #12")

    assert response.status_code == 302
    assert response["Location"] == f"{URL}{player.pk}/change/"
    row = Transaction.objects.filter(user=player).first()
    assert (row.kind, row.amount, row.reason, row.created_by) == (
        Kind.ADJUSTMENT,
        250,
        "Compensation for outage #12",
        support,
    )
    player.refresh_from_db()
    assert player.balance == 350
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == [f"Granted 250 to {player}: balance is now 350 (transaction #{row.pk})."]
    assert_ledger_consistent()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": 10, "reason": ""}, "reason"),
        ({"amount": 10, "reason": "   "}, "reason"),
        ({"amount": 0, "reason": "x"}, "amount"),
        ({"amount": "ten", "reason": "x"}, "amount"),
        ({"amount": 100_001, "reason": "x"}, "amount"),
    ],
)
def test_grant_funds_refuses_bad_input_with_a_form_error(support_client, data, field):
    player = UserFactory(funds=100)

    response = grant(support_client, player, **data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Transaction.objects.filter(user=player).count() == 1
    player.refresh_from_db()
    assert player.balance == 100


@override_settings(ECONOMY_MAX_DEPOSIT=50)
def test_grant_funds_applies_the_configured_limit(support_client):
    player = UserFactory()
    response = grant(support_client, player, amount=51, reason="Too generous")
    assert "amount" in response.context["form"].errors
    assert not Transaction.objects.filter(user=player).exists()


def test_grant_funds_for_an_unknown_user_is_404(support_client):
    response = support_client.get(f"{URL}999999/grant-funds/")
    assert response.status_code == 404
