import pytest

from economy.ledger import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def history(client, user, query=""):
    return client.get(f"/api/v1/users/{user.pk}/transactions{query}")


def test_history_is_newest_first_with_product_names(player, player_client, product):
    player_client.post(f"/api/v1/products/{product.pk}/purchase", {}, format="json")
    body = history(player_client, player).json()
    kinds = [row["kind"] for row in body["results"]]
    assert kinds == ["purchase", "adjustment"]
    assert body["results"][0]["product_name"] == "Буст на день"


def test_history_is_cursor_paginated_without_gaps_or_repeats(player, player_client):
    for _ in range(25):
        services.grant_funds(user_id=player.pk, amount=1, reason="loyalty")
    first = history(player_client, player, "?page_size=10").json()
    seen = [row["id"] for row in first["results"]]
    # A row written between pages must not shift the next page.
    services.grant_funds(user_id=player.pk, amount=1, reason="meanwhile")
    url = first["next"]
    while url:
        page = player_client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == 26 and len(set(seen)) == 26
    assert seen == sorted(seen, reverse=True)


def test_history_filters_by_kind_and_status(player, player_client, permanent):
    path = f"/api/v1/products/{permanent.pk}/purchase"
    player_client.post(path, {}, format="json")
    player_client.post(path, {}, format="json")  # already owned: failed row
    failed = history(player_client, player, "?kind=purchase&status=failed").json()["results"]
    assert [(r["status"], r["failure_reason"]) for r in failed] == [("failed", "already_owned")]
    completed = history(player_client, player, "?kind=purchase&status=completed").json()
    assert len(completed["results"]) == 1


def test_an_unknown_filter_value_is_400(player, player_client):
    assert history(player_client, player, "?kind=gift").status_code == 400


def test_history_of_another_player_is_403(player_client):
    assert history(player_client, UserFactory()).status_code == 403


def test_staff_reads_any_history(staff_client, player):
    assert len(history(staff_client, player).json()["results"]) == 1


def test_history_costs_a_fixed_number_of_queries(
    player, player_client, product, django_assert_num_queries
):
    for _ in range(15):
        player_client.post(f"/api/v1/products/{product.pk}/purchase", {}, format="json")
    player_client.force_authenticate(player)
    with django_assert_num_queries(1):
        history(player_client, player)
