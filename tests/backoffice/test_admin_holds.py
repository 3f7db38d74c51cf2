"""Holds in /admin/: read-only, visible to support on the hold list and the player's page,
and support's void action with a reason."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from economy.ledger import holds
from economy.ledger.models import Hold, HoldStatus
from tests.factories import UserFactory, default_currency
from tests.support.admin import CONTENT_MANAGERS, login, staff_in
from tests.support.ledger import assert_ledger_consistent, wallet_of

pytestmark = pytest.mark.django_db

URL = "/admin/ledger/hold/"


def place(player, amount=100, reference="match 9"):
    return holds.place_hold(
        user_id=player.pk,
        amount=amount,
        currency=default_currency(),
        expires_at=timezone.now() + timedelta(hours=1),
        reference=reference,
    ).hold


def void_action(client, rows, reason=None):
    data = {"action": "void", "_selected_action": [row.pk for row in rows]}
    if reason is None:
        data["index"] = 0
    else:
        data.update(apply="Void", reason=reason)
    return client.post(URL, data)


def test_support_sees_holds_and_nobody_edits_them(support_client, superuser_client):
    hold = place(UserFactory(funds=500))
    listing = support_client.get(URL)
    assert listing.status_code == 200
    assert [row.pk for row in listing.context["cl"].result_list] == [hold.pk]
    assert superuser_client.get(f"{URL}add/").status_code == 403
    assert superuser_client.get(f"{URL}{hold.pk}/delete/").status_code == 403
    assert superuser_client.post(f"{URL}{hold.pk}/change/", {"amount": 1}).status_code == 403
    hold.refresh_from_db()
    assert hold.amount == 100


def test_void_asks_for_a_reason_then_releases_the_hold(support, support_client):
    player = UserFactory(funds=500)
    hold = place(player)

    page = void_action(support_client, [hold])
    assert page.status_code == 200
    assert "admin/ledger/hold/void.html" in [t.name for t in page.templates]
    assert "match 9" in page.content.decode()
    blank = void_action(support_client, [hold], reason=" ")
    assert "This field is required" in blank.content.decode()
    assert Hold.objects.get().status == HoldStatus.PENDING

    response = void_action(support_client, [hold], reason="Server crashed mid-match")
    assert response.status_code == 302
    hold.refresh_from_db()
    assert (hold.status, hold.reason, hold.resolved_by) == (
        HoldStatus.VOIDED,
        "Server crashed mid-match",
        support,
    )
    assert wallet_of(player).held == 0
    texts = [m.message for m in get_messages(response.wsgi_request)]
    assert texts == [f"#{hold.pk} voided: 100 coins released to {player}."]
    again = void_action(support_client, [hold], reason="twice")
    texts = [m.message for m in get_messages(again.wsgi_request)]
    assert texts[-1:] == [
        f"#{hold.pk} not voided: This hold is no longer pending: it was captured, voided or "
        "has expired."
    ]
    assert_ledger_consistent()


def test_only_support_is_offered_the_void_action(support_client):
    place(UserFactory(funds=500))
    actions = support_client.get(URL).context["action_form"].fields["action"].choices
    assert "void" in [name for name, _ in actions]
    content = login(staff_in(CONTENT_MANAGERS, username="cm"))
    assert content.get(URL).status_code == 403


def test_the_player_page_shows_open_holds(support_client):
    player = UserFactory(funds=500)
    open_hold = place(player, 30, reference="open one")
    holds.void_hold(hold_id=place(player, 20, reference="ended one").pk)
    page = support_client.get(f"/admin/accounts/user/{player.pk}/change/")
    assert [hold.pk for hold in page.context["desk"].open_holds] == [open_hold.pk]
    html = page.content.decode()
    assert "Open holds" in html
    assert f"/admin/ledger/hold/{open_hold.pk}/change/" in html
