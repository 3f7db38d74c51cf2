"""Users in /admin/: wallets read-only, inventory and ledger inline, grant funds."""

import pytest
from django.contrib.messages import get_messages
from django.test import override_settings

from economy.accounts.models import User
from economy.inventory.services import purchase_product
from economy.ledger.models import Kind, Transaction, Wallet
from economy.ledger.services import add_funds
from tests.factories import CurrencyFactory, ProductFactory, UserFactory
from tests.support.ledger import assert_ledger_consistent, balance_of

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
        **inline_management("wallets"),
        **inline_management("holds"),
        **inline_management("inventory_items"),
        **inline_management("transactions"),
        **overrides,
    }


def inline_management(prefix):
    return {f"{prefix}-{key}": value for key, value in [("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0)]}


def test_the_wallets_are_shown_but_cannot_be_edited(superuser_client):
    player = UserFactory(funds=100)
    wallet = player.wallets.get()
    page = superuser_client.get(f"{URL}{player.pk}/change/")
    form = page.context["adminform"].form
    assert "balance" not in form.fields
    formsets = {fs.formset.prefix: fs for fs in page.context["inline_admin_formsets"]}
    wallets = formsets["wallets"]
    assert [f.instance.pk for f in wallets.formset.forms] == [wallet.pk]
    # Every column read-only: the form holds only the row's id and owner, never a balance.
    assert set(wallets.formset.forms[0].fields) <= {"id", "owner"}
    assert not wallets.has_add_permission and not wallets.has_change_permission
    assert not wallets.has_delete_permission
    assert "100" in page.content.decode()

    response = superuser_client.post(
        f"{URL}{player.pk}/change/",
        change_data(
            player,
            balance=1_000_000,
            first_name="Pat",
            **{
                "wallets-TOTAL_FORMS": 1,
                "wallets-INITIAL_FORMS": 1,
                "wallets-0-id": wallet.pk,
                "wallets-0-owner": player.pk,
                "wallets-0-balance": 1_000_000,
                "wallets-0-held": 0,
            },
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    player.refresh_from_db()
    wallet.refresh_from_db()
    assert (player.first_name, wallet.balance, wallet.held) == ("Pat", 100, 0)
    assert_ledger_consistent()


def test_the_change_page_shows_every_wallet_with_its_currency(support_client):
    gems = CurrencyFactory(code="gems")
    player = UserFactory(funds=100)
    add_funds(user_id=player.pk, amount=7, currency=gems)

    page = support_client.get(f"{URL}{player.pk}/change/")

    formsets = {fs.formset.prefix: fs.formset for fs in page.context["inline_admin_formsets"]}
    shown = [
        (f.instance.currency.code, f.instance.balance, f.instance.held)
        for f in formsets["wallets"].forms
    ]
    assert shown == [("coins", 100, 0), ("gems", 7, 0)]


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
    newbie = User.objects.get(username="newbie")
    assert not Wallet.objects.filter(owner=newbie).exists()  # opens on first use
    assert balance_of(newbie) == 0


def grant(client, user, **data):
    data.setdefault("currency", "coins")
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
    assert (row.kind, row.amount, row.currency.code, row.reason, row.created_by) == (
        Kind.ADJUSTMENT,
        250,
        "coins",
        "Compensation for outage #12",
        support,
    )
    assert (row.debit_wallet.name, row.credit_wallet.owner) == ("faucet:grants", player)
    assert balance_of(player) == 350
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == [
        f"Adjusted {player}'s coins by +250: balance is now 350 (transaction #{row.pk})."
    ]
    assert_ledger_consistent()


def test_the_grant_page_shows_the_wallets_and_offers_the_default_currency(support_client):
    CurrencyFactory(code="gems")
    player = UserFactory(funds=100)

    page = support_client.get(f"{URL}{player.pk}/grant-funds/")

    assert page.context["form"]["currency"].value() == "coins"
    assert "coins 100" in page.content.decode()
    assert [c.code for c in page.context["form"].fields["currency"].queryset] == ["coins", "gems"]


def test_a_negative_amount_takes_currency_back_into_sink_corrections(support, support_client):
    player = UserFactory(funds=100)

    response = grant(support_client, player, amount=-30, reason="Duplicate compensation")

    assert response.status_code == 302
    row = Transaction.objects.filter(user=player).first()
    assert (row.kind, row.amount, row.reason, row.created_by) == (
        Kind.ADJUSTMENT,
        30,
        "Duplicate compensation",
        support,
    )
    assert (row.debit_wallet.owner, row.credit_wallet.name) == (player, "sink:corrections")
    assert balance_of(player) == 70
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == [
        f"Adjusted {player}'s coins by -30: balance is now 70 (transaction #{row.pk})."
    ]
    assert_ledger_consistent()


def test_taking_back_more_than_the_player_has_is_a_form_error(support_client):
    player = UserFactory(funds=100)

    response = grant(support_client, player, amount=-101, reason="Too much")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The available balance does not cover this."
    ]
    assert Transaction.objects.filter(user=player).count() == 1
    assert balance_of(player) == 100


def test_a_grant_above_the_currencys_maximum_is_a_form_error(support_client):
    CurrencyFactory(code="gems", max_balance=100)
    player = UserFactory()

    response = grant(support_client, player, amount=101, currency="gems", reason="Too many")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This would take the balance above the currency's maximum."
    ]
    assert balance_of(player, "gems") == 0


def test_grant_funds_in_another_currency_touches_only_that_wallet(support_client):
    gems = CurrencyFactory(code="gems")
    player = UserFactory(funds=100)

    response = grant(support_client, player, amount=5, currency="gems", reason="Event prize")

    assert response.status_code == 302
    row = Transaction.objects.filter(user=player).first()
    assert (row.amount, row.currency) == (5, gems)
    assert (balance_of(player), balance_of(player, "gems")) == (100, 5)
    assert_ledger_consistent()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": 10, "reason": ""}, "reason"),
        ({"amount": 10, "reason": "   "}, "reason"),
        ({"amount": 0, "reason": "x"}, "amount"),
        ({"amount": "ten", "reason": "x"}, "amount"),
        ({"amount": 100_001, "reason": "x"}, "amount"),
        ({"amount": -100_001, "reason": "x"}, "amount"),
        ({"amount": 10, "reason": "x", "currency": "doubloons"}, "currency"),
        ({"amount": 10, "reason": "x", "currency": ""}, "currency"),
    ],
)
def test_grant_funds_refuses_bad_input_with_a_form_error(support_client, data, field):
    player = UserFactory(funds=100)

    response = grant(support_client, player, **data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Transaction.objects.filter(user=player).count() == 1
    assert balance_of(player) == 100


def test_an_inactive_currency_is_not_offered(support_client):
    CurrencyFactory(code="old", is_active=False)
    player = UserFactory(funds=100)

    response = grant(support_client, player, amount=10, currency="old", reason="x")

    assert "currency" in response.context["form"].errors
    assert not Wallet.objects.filter(owner=player, currency__code="old").exists()


@override_settings(ECONOMY_MAX_DEPOSIT=50)
def test_grant_funds_applies_the_configured_limit(support_client):
    player = UserFactory()
    response = grant(support_client, player, amount=51, reason="Too generous")
    assert "amount" in response.context["form"].errors
    response = grant(support_client, player, amount=-51, reason="Too harsh")
    assert "amount" in response.context["form"].errors
    assert not Transaction.objects.filter(user=player).exists()


def test_grant_funds_for_an_unknown_user_is_404(support_client):
    response = support_client.get(f"{URL}999999/grant-funds/")
    assert response.status_code == 404
