"""Users in /admin/, the support desk: wallets, holds, inventory and the latest ledger rows
first, read-only; grant funds through a confirmation page."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from economy.accounts.models import User
from economy.inventory.models import InventoryItem
from economy.inventory.services import purchase_product, use_product
from economy.ledger.holds import place_hold
from economy.ledger.models import Kind, Transaction, Wallet
from economy.ledger.services import add_funds
from tests.factories import (
    CurrencyFactory,
    PermanentProductFactory,
    ProductFactory,
    StaffFactory,
    UserFactory,
    default_currency,
)
from tests.support.admin import ensure_groups, login
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
        **overrides,
    }


def test_the_wallets_are_shown_but_cannot_be_edited(superuser_client):
    player = UserFactory(funds=100)
    wallet = player.wallets.get()
    page = superuser_client.get(f"{URL}{player.pk}/change/")
    form = page.context["adminform"].form
    assert not {"balance", "held", "wallets"} & set(form.fields)
    assert page.context["desk"].wallets == [wallet]
    assert "wallets-TOTAL_FORMS" not in page.content.decode()

    response = superuser_client.post(
        f"{URL}{player.pk}/change/",
        change_data(
            player,
            balance=1_000_000,
            first_name="Pat",
            **{"wallets-0-id": wallet.pk, "wallets-0-balance": 1_000_000},
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
    hold = place_hold(
        user_id=player.pk,
        amount=30,
        currency=default_currency(),
        expires_at=timezone.now() + timedelta(hours=1),
    ).hold

    page = support_client.get(f"{URL}{player.pk}/change/")

    shown = [
        (w.currency.code, w.balance, w.held, w.available) for w in page.context["desk"].wallets
    ]
    assert shown == [("coins", 100, 30, 70), ("gems", 7, 0, 7)]
    html = page.content.decode()
    assert f'href="/admin/ledger/hold/{hold.pk}/change/"' in html
    assert f'href="/admin/ledger/hold/{hold.pk}/void/"' in html


def test_the_change_page_shows_inventory_and_the_latest_20_transactions(support_client):
    player = UserFactory(funds=10_000)
    potion = ProductFactory(name="Potion", price=1)
    for _ in range(25):
        purchase_product(user_id=player.pk, product_id=potion.pk)

    page = support_client.get(f"{URL}{player.pk}/change/")

    desk = page.context["desk"]
    assert [(item.product.name, item.quantity) for item in desk.inventory] == [("Potion", 25)]
    shown = [entry.transaction.pk for entry in desk.latest]
    latest = list(Transaction.objects.filter(user=player).values_list("pk", flat=True)[:20])
    assert shown == latest
    html = page.content.decode()
    for pk in latest:
        assert f'href="/admin/ledger/transaction/{pk}/change/"' in html
    assert f'href="/admin/ledger/transaction/{latest[0]}/refund/"' in html


def test_the_inventory_shows_expiries_and_running_effects(support_client):
    player = UserFactory(funds=10_000)
    premium = PermanentProductFactory(name="Premium", duration=timedelta(days=30))
    boost = ProductFactory(name="Boost", duration=timedelta(days=1))
    lapsed = PermanentProductFactory(name="Old pass", duration=timedelta(days=1))
    owned_until = purchase_product(user_id=player.pk, product_id=premium.pk).expires_at
    purchase_product(user_id=player.pk, product_id=boost.pk)
    active_until = use_product(user_id=player.pk, product_id=boost.pk).active_until
    purchase_product(user_id=player.pk, product_id=lapsed.pk)
    InventoryItem.objects.filter(product=lapsed).update(expires_at=timezone.now() - timedelta(1))

    html = support_client.get(f"{URL}{player.pk}/change/").content.decode()

    assert f"owned until {timezone.localtime(owned_until):%Y-%m-%d %H:%M}" in html
    assert f"active until {timezone.localtime(active_until):%Y-%m-%d %H:%M}" in html
    assert "expired " in html


def test_the_page_leads_with_the_wallets_and_hides_the_password_from_support(support_client):
    player = UserFactory(funds=100)

    html = support_client.get(f"{URL}{player.pk}/change/").content.decode()

    assert html.index('id="wallets-group"') < html.index('id="transactions-group"')
    assert html.index('id="transactions-group"') < html.index("field-username")
    for hidden in ("Reset password", "pbkdf2", "field-groups", "field-user_permissions"):
        assert hidden not in html
    # What support may do is offered: grants, the player's full ledger, refunds.
    assert f'href="{URL}{player.pk}/grant-funds/"' in html
    assert f'href="/admin/ledger/transaction/?player={player.pk}"' in html


def test_a_superuser_finds_the_password_and_permissions_folded_at_the_bottom(
    superuser_client,
):
    player = UserFactory(funds=100)

    page = superuser_client.get(f"{URL}{player.pk}/change/")

    html = page.content.decode()
    names = [fieldset.name for fieldset in page.context["adminform"]]
    assert names[-1] == "Password and permissions"
    assert "collapse" in page.context["adminform"].fieldsets[-1][1]["classes"]
    assert html.index('id="wallets-group"') < html.index("Reset password")


def test_staff_who_may_only_view_users_are_offered_no_action(db):
    ensure_groups()
    viewer = StaffFactory(username="viewer")
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_user"),
        Permission.objects.get(codename="view_transaction"),
    )
    player = UserFactory(funds=100)
    purchase_product(user_id=player.pk, product_id=ProductFactory(price=10).pk)

    html = login(viewer).get(f"{URL}{player.pk}/change/").content.decode()

    for action in ("grant-funds", "/refund/", "/void/", "Reset password", 'name="_save"'):
        assert action not in html
    assert f"/admin/ledger/transaction/?player={player.pk}" in html


def test_the_players_page_makes_the_same_queries_whatever_its_size(support_client):
    small, big = UserFactory(funds=100), UserFactory(funds=10_000)
    purchase_product(user_id=small.pk, product_id=ProductFactory(price=1).pk)
    for code in ("gems", "stars", "keys"):
        add_funds(user_id=big.pk, amount=5, currency=CurrencyFactory(code=code))
    for product in ProductFactory.create_batch(5, price=1):
        for quantity in (1, 2, 3):
            purchase_product(user_id=big.pk, product_id=product.pk, quantity=quantity)
    for _ in range(3):
        place_hold(
            user_id=big.pk,
            amount=5,
            currency=default_currency(),
            expires_at=timezone.now() + timedelta(hours=1),
        )
    support_client.get(f"{URL}{small.pk}/change/")  # warm the session and content types

    with CaptureQueriesContext(connection) as few:
        assert support_client.get(f"{URL}{small.pk}/change/").status_code == 200
    with CaptureQueriesContext(connection) as many:
        page = support_client.get(f"{URL}{big.pk}/change/")

    desk = page.context["desk"]
    assert (len(desk.wallets), len(desk.inventory), len(desk.open_holds)) == (4, 5, 3)
    assert len(desk.latest) == 20
    assert len(many) == len(few), [q["sql"] for q in many]


@pytest.mark.parametrize("term", ["PAT@Example.com", "pat", "{pk}"])
def test_support_finds_a_player_by_email_username_or_id(support_client, term):
    pat = UserFactory(username="pat", email="pat@example.com")
    UserFactory(username="someone", email="someone@example.com")

    response = support_client.get(URL, {"q": term.format(pk=pat.pk)})

    assert [user.pk for user in response.context["cl"].result_list] == [pat.pk]


def test_the_player_filter_lists_the_players_full_ledger(support_client):
    pat, other = UserFactory(funds=100), UserFactory(funds=100)
    paid_to_pat = Transaction.objects.filter(user=pat).first()

    response = support_client.get("/admin/ledger/transaction/", {"player": pat.pk})

    assert [row.pk for row in response.context["cl"].result_list] == [paid_to_pat.pk]
    assert other.pk != pat.pk
    assert support_client.get("/admin/ledger/transaction/", {"player": "x"}).status_code == 200


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
    """Grant funds as the page does: the form, then its confirmation page's Confirm."""
    data.setdefault("currency", "coins")
    return client.post(f"{URL}{user.pk}/grant-funds/", {**data, "confirm": "Confirm"})


def test_the_grant_form_first_shows_what_will_happen_and_changes_nothing(support_client):
    player = UserFactory(funds=100)
    url = f"{URL}{player.pk}/grant-funds/"

    page = support_client.post(url, {"currency": "coins", "amount": 250, "reason": "Ticket 1"})

    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["preview"] == (100, 350, "faucet:grants", str(player), "")
    for shown in (str(player), "+250 coins", "100 → 350 coins", "Ticket 1", 'name="confirm"'):
        assert shown in html
    assert balance_of(player) == 100
    assert Transaction.objects.filter(user=player).count() == 1


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
        f"Adjusted {player}'s coins by +250: balance is now 350 "
        f'(<a href="/admin/ledger/transaction/{row.pk}/change/">transaction #{row.pk}</a>).'
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
        f"Adjusted {player}'s coins by -30: balance is now 70 "
        f'(<a href="/admin/ledger/transaction/{row.pk}/change/">transaction #{row.pk}</a>).'
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
