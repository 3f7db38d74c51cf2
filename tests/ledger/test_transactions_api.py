from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from economy.ledger import services
from economy.ledger.models import Kind, SystemWallet
from tests.factories import CurrencyFactory, UserFactory, default_currency

pytestmark = pytest.mark.django_db

ROW_FIELDS = {
    "id",
    "kind",
    "status",
    "amount",
    "currency",
    "debit",
    "credit",
    "quantity",
    "unit_price",
    "product_id",
    "product_name",
    "failure_reason",
    "reason",
    "refund_of_id",
    "created_at",
}


def history(client, user, query=""):
    return client.get(f"/api/v1/users/{user.pk}/transactions{query}")


def grant(user, amount=1, reason="loyalty", currency=None):
    return services.adjust_balance(
        user_id=user.pk, amount=amount, currency=currency or default_currency(), reason=reason
    ).transaction


def transfer(payer, payee, amount, **details):
    """A movement between two players' wallets, as the ledger records one."""
    coins = default_currency()
    with transaction.atomic():
        wallets = services.lock_wallets([(payer.pk, coins), (payee.pk, coins)])
        return services.post(
            debit=wallets[payer.pk, coins.pk],
            credit=wallets[payee.pk, coins.pk],
            amount=amount,
            kind=Kind.TRANSFER,
            **details,
        )


def test_history_is_newest_first_with_product_names(player, player_client, product):
    player_client.post(f"/api/v1/products/{product.pk}/purchase", {}, format="json")
    body = history(player_client, player).json()
    assert set(body) == {"next", "previous", "results"}
    kinds = [row["kind"] for row in body["results"]]
    assert kinds == ["purchase", "adjustment"]
    purchase, funds = body["results"]
    assert set(purchase) == ROW_FIELDS
    assert purchase["product_name"] == "Буст на день"
    assert (purchase["currency"], purchase["debit"], purchase["credit"]) == (
        "coins",
        f"player:{player.pk}",
        "sink:store",
    )
    assert (funds["debit"], funds["credit"], funds["reason"]) == (
        "faucet:grants",
        f"player:{player.pk}",
        "test funds",
    )
    assert body["next"] is None and body["previous"] is None


def test_history_is_cursor_paginated_without_gaps_or_repeats(player, player_client):
    for _ in range(25):
        grant(player)
    first = history(player_client, player, "?page_size=10").json()
    assert first["previous"] is None
    seen = [row["id"] for row in first["results"]]
    # A row written between pages must not shift the next page.
    grant(player, reason="meanwhile")
    url = first["next"]
    pages = [first]
    while url:
        page = player_client.get(url).json()
        pages.append(page)
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert [len(page["results"]) for page in pages] == [10, 10, 6]
    assert len(seen) == 26 and len(set(seen)) == 26
    assert seen == sorted(seen, reverse=True)
    # And back: `previous` of the last page is the page before it.
    back = player_client.get(pages[-1]["previous"]).json()
    assert [row["id"] for row in back["results"]] == [row["id"] for row in pages[1]["results"]]
    # The newest page's `previous` sees the row written meanwhile, and nothing else.
    newer = player_client.get(player_client.get(pages[1]["previous"]).json()["previous"]).json()
    assert [row["reason"] for row in newer["results"]] == ["meanwhile"]
    assert newer["previous"] is None


def test_rows_written_in_the_same_instant_are_each_listed_once(player, player_client):
    """The cursor is (created_at, id): rows of one timestamp never fall between pages."""
    instant = timezone.now() - timedelta(minutes=1)
    coins = default_currency()
    with transaction.atomic():
        wallet = services.lock_wallet(user_id=player.pk, currency=coins)
        same_instant = [
            services.post(
                debit=services.system_wallet(SystemWallet.GRANTS, coins),
                credit=wallet,
                amount=1,
                kind=Kind.ADJUSTMENT,
                reason="same instant",
                created_at=instant,
            ).pk
            for _ in range(7)
        ]
    seen, url = [], f"/api/v1/users/{player.pk}/transactions?page_size=3"
    while url:
        page = player_client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    # The test funds (written now) first, then the seven of one instant, newest id first.
    assert seen[1:] == sorted(same_instant, reverse=True)
    assert seen[0] == player.transactions.get(reason="test funds").pk


def test_a_transfer_is_in_the_history_of_both_players(player, player_client, make_client):
    other = UserFactory(funds=500)
    before = grant(player, reason="before")
    paid = transfer(other, player, 40, reason="gift")
    received = transfer(player, other, 15, reason="change")
    after = grant(player, reason="after")

    mine = history(player_client, player).json()["results"]
    assert [row["id"] for row in mine][:4] == [after.pk, received.pk, paid.pk, before.pk]
    gift = next(row for row in mine if row["id"] == paid.pk)
    assert (gift["kind"], gift["debit"], gift["credit"], gift["amount"]) == (
        "transfer",
        f"player:{other.pk}",
        f"player:{player.pk}",
        40,
    )
    theirs = history(make_client(other), other).json()["results"]
    assert [row["id"] for row in theirs] == [received.pk, paid.pk, theirs[-1]["id"]]
    # Pages follow both sides of the merge: one row a page, none lost nor repeated.
    seen, url = [], f"/api/v1/users/{player.pk}/transactions?page_size=1"
    while url:
        page = player_client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == [row["id"] for row in mine]


def test_history_filters_by_kind_and_status(player, player_client, permanent):
    path = f"/api/v1/products/{permanent.pk}/purchase"
    player_client.post(path, {}, format="json")
    player_client.post(path, {}, format="json")  # already owned: failed row
    failed = history(player_client, player, "?kind=purchase&status=failed").json()["results"]
    assert [(r["status"], r["failure_reason"]) for r in failed] == [("failed", "already_owned")]
    completed = history(player_client, player, "?kind=purchase&status=completed").json()
    assert len(completed["results"]) == 1


def test_history_filters_by_currency(player, player_client):
    gems = CurrencyFactory(code="gems")
    grant(player, amount=3, currency=gems)
    rows = history(player_client, player, "?currency=gems").json()["results"]
    assert [(r["currency"], r["amount"]) for r in rows] == [("gems", 3)]
    coins = history(player_client, player, "?currency=coins").json()["results"]
    assert [r["currency"] for r in coins] == ["coins"]
    assert history(player_client, player, "?currency=doubloons").json()["results"] == []


@pytest.mark.parametrize(
    "query", ["?kind=gift", "?status=done", "?page_size=0", "?page_size=101", "?currency=a%20b"]
)
def test_an_unknown_filter_value_is_400(player, player_client, query):
    response = history(player_client, player, query)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "b3wxMjM",  # o|123: no date
        "eHwyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwfDE",  # x|<date>|1: no such direction
        "bnwyMDI2LTAxLTAxfDE",  # n|2026-01-01|1: a naive date
        "b3wyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwfDA",  # o|<date>|0: no such id
        "b3wyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwfGFiYw",  # o|<date>|abc
    ],
)
def test_a_forged_cursor_is_400(player, player_client, cursor):
    response = history(player_client, player, f"?cursor={cursor}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and "cursor" in error["details"]


def test_history_of_another_player_is_403(player_client):
    assert history(player_client, UserFactory()).status_code == 403


def test_staff_reads_any_history(staff_client, player):
    assert len(history(staff_client, player).json()["results"]) == 1


def test_staff_reading_the_history_of_an_unknown_user_is_404(staff_client):
    response = history(staff_client, UserFactory.build(pk=987654))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_history_costs_a_fixed_number_of_queries(
    player, player_client, product, django_assert_num_queries
):
    for _ in range(15):
        player_client.post(f"/api/v1/products/{product.pk}/purchase", {}, format="json")
    player_client.force_authenticate(player)
    # The rows the player pays and the rows another player paid it: two queries, whatever
    # the length of the history.
    with django_assert_num_queries(2):
        first = history(player_client, player, "?page_size=5").json()
    with django_assert_num_queries(2):
        player_client.get(first["next"])
