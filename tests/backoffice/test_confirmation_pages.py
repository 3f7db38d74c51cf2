"""One-row actions of the support desk, each through a page that says what will happen and
asks for a reason: refund a purchase, void a hold. Bad input changes nothing."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from economy.inventory.models import InventoryItem
from economy.inventory.services import purchase_product, use_product
from economy.ledger import holds
from economy.ledger.models import HoldStatus, Kind, Status, Transaction
from tests.factories import ProductFactory, UserFactory, default_currency
from tests.support.admin import CONTENT_MANAGERS, login, staff_in
from tests.support.ledger import assert_ledger_consistent, balance_of, snapshot, wallet_of

pytestmark = pytest.mark.django_db

TRANSACTIONS = "/admin/ledger/transaction/"
HOLDS = "/admin/ledger/hold/"


def bought(player, price=30, quantity=1):
    product = ProductFactory(name="Sword", price=price)
    return purchase_product(user_id=player.pk, product_id=product.pk, quantity=quantity).transaction


def place(player, amount=40):
    return holds.place_hold(
        user_id=player.pk,
        amount=amount,
        currency=default_currency(),
        expires_at=timezone.now() + timedelta(hours=1),
        reference="Match 7",
    ).hold


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_refund_page_says_what_will_be_credited_and_changes_nothing(support_client):
    player = UserFactory(username="pat", funds=100)
    purchase = bought(player, quantity=2)
    before = snapshot()

    page = support_client.get(f"{TRANSACTIONS}{purchase.pk}/refund/")

    assert page.status_code == 200
    html = page.content.decode()
    for shown in (
        "pat",
        "2 \N{MULTIPLICATION SIGN} Sword at 30 coins",
        "2 unit(s), 60 coins credited",
        "id_reason",
    ):
        assert shown in html
    assert 'name="confirm"' in html
    assert snapshot() == before


def test_support_refunds_a_purchase_with_a_reason(support, support_client):
    player = UserFactory(funds=100)
    purchase = bought(player)

    response = support_client.post(
        f"{TRANSACTIONS}{purchase.pk}/refund/", {"reason": "Bought by mistake"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/admin/accounts/user/{player.pk}/change/"
    refund = Transaction.objects.get(refund_of=purchase)
    assert (refund.kind, refund.status, refund.amount, refund.reason, refund.created_by) == (
        Kind.REFUND,
        Status.COMPLETED,
        30,
        "Bought by mistake",
        support,
    )
    assert balance_of(player) == 100
    assert InventoryItem.objects.get(user=player).quantity == 0
    [message] = messages_of(response)
    assert f'href="{TRANSACTIONS}{refund.pk}/change/">transaction #{refund.pk}</a>' in message
    assert message.startswith(f"#{purchase.pk} refunded: 1 unit(s), 30 coins credited to")
    assert_ledger_consistent()


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_refund_without_a_reason_is_a_form_error(support_client, reason):
    purchase = bought(UserFactory(funds=100))
    before = snapshot()

    response = support_client.post(f"{TRANSACTIONS}{purchase.pk}/refund/", {"reason": reason})

    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["This field is required."]
    assert snapshot() == before


def test_a_purchase_already_refunded_is_refused_and_changes_nothing(support_client):
    purchase = bought(UserFactory(funds=100))
    url = f"{TRANSACTIONS}{purchase.pk}/refund/"
    assert support_client.post(url, {"reason": "First"}).status_code == 302
    before = snapshot()

    page = support_client.get(url)
    response = support_client.post(url, {"reason": "Second"})

    assert "This purchase was already refunded." in page.content.decode()
    assert 'name="confirm"' not in page.content.decode()
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["This purchase was already refunded."]
    assert snapshot() == before


def test_a_row_that_is_not_a_purchase_cannot_be_refunded(support_client):
    grant = UserFactory(funds=100).transactions.get()
    before = snapshot()

    response = support_client.post(f"{TRANSACTIONS}{grant.pk}/refund/", {"reason": "x"})

    assert response.status_code == 200
    assert response.context["refusal"] == "Only a completed purchase can be refunded."
    assert snapshot() == before


def test_a_consumable_used_up_is_not_refunded(support_client):
    player = UserFactory(funds=100)
    purchase = bought(player)
    use_product(user_id=player.pk, product_id=purchase.product_id)

    response = support_client.post(f"{TRANSACTIONS}{purchase.pk}/refund/", {"reason": "x"})

    assert response.context["form"].non_field_errors() == [
        "The player no longer holds any unit of this purchase."
    ]
    assert balance_of(player) == 70


def test_the_refund_link_is_offered_only_to_who_may_refund(support_client, superuser_client):
    purchase = bought(UserFactory(funds=100))
    page = f"{TRANSACTIONS}{purchase.pk}/change/"
    assert f"{purchase.pk}/refund/" in support_client.get(page).content.decode()

    viewer = staff_in(CONTENT_MANAGERS, username="cm")
    assert login(viewer).get(f"{TRANSACTIONS}{purchase.pk}/refund/").status_code == 403
    assert superuser_client.get(f"{TRANSACTIONS}{purchase.pk}/refund/").status_code == 200


def test_refunding_an_unknown_transaction_is_404(support_client):
    assert support_client.get(f"{TRANSACTIONS}999999/refund/").status_code == 404


def test_the_void_page_says_what_will_be_released(support_client):
    hold = place(UserFactory(username="pat", funds=100))
    before = snapshot()

    page = support_client.get(f"{HOLDS}{hold.pk}/void/")

    html = page.content.decode()
    for shown in ("pat", "40 coins, released to the player", "Match 7", 'name="confirm"'):
        assert shown in html
    assert snapshot() == before


def test_support_voids_a_hold_with_a_reason(support, support_client):
    player = UserFactory(funds=100)
    hold = place(player)

    response = support_client.post(f"{HOLDS}{hold.pk}/void/", {"reason": "Server crashed"})

    assert response.status_code == 302
    hold.refresh_from_db()
    assert (hold.status, hold.reason, hold.resolved_by) == (
        HoldStatus.VOIDED,
        "Server crashed",
        support,
    )
    assert wallet_of(player).held == 0
    [message] = messages_of(response)
    assert f'href="{HOLDS}{hold.pk}/change/">hold #{hold.pk}</a> voided: 40 coins' in message
    assert f"transaction #{hold.reservation_id}</a> voided" in message
    assert_ledger_consistent()


def test_a_hold_no_longer_pending_is_refused_and_changes_nothing(support_client):
    hold = place(UserFactory(funds=100))
    holds.void_hold(hold_id=hold.pk, reason="first")
    before = snapshot()

    page = support_client.get(f"{HOLDS}{hold.pk}/void/")
    response = support_client.post(f"{HOLDS}{hold.pk}/void/", {"reason": "again"})

    assert "This hold is voided: only a pending hold can be voided." in page.content.decode()
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This hold is no longer pending: it was captured, voided or has expired."
    ]
    assert snapshot() == before


def test_a_void_without_a_reason_is_a_form_error(support_client):
    hold = place(UserFactory(funds=100))

    response = support_client.post(f"{HOLDS}{hold.pk}/void/", {"reason": ""})

    assert response.context["form"].errors["reason"] == ["This field is required."]
    hold.refresh_from_db()
    assert hold.status == HoldStatus.PENDING


def test_the_void_page_is_refused_to_who_may_not_void(db):
    hold = place(UserFactory(funds=100))
    viewer = staff_in(CONTENT_MANAGERS, username="cm")
    assert login(viewer).get(f"{HOLDS}{hold.pk}/void/").status_code == 403
