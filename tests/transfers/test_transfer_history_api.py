"""GET /users/{id}/transfers: what a player sent and received, newest first, keyset-paginated."""

import pytest

from economy.inventory import services as inventory
from economy.transfers import services
from tests.factories import UserFactory
from tests.support.api import assert_error, client_for
from tests.support.transfers import transfers_page

pytestmark = pytest.mark.django_db


def send(sender, receiver, amount, currency):
    return services.transfer_currency(
        from_user_id=sender.pk,
        to_user_id=receiver.pk,
        currency=currency,
        amount=amount,
        actor=sender,
    ).transfer


def test_both_directions_and_both_shapes_newest_first(alice, bob, alice_client, gems, potion):
    inventory.purchase_product(user_id=bob.pk, product_id=potion.pk, quantity=2)
    first = send(alice, bob, 10, gems)
    second = services.transfer_items(
        from_user_id=bob.pk, to_user_id=alice.pk, product_id=potion.pk, actor=bob
    ).transfer
    third = send(alice, bob, 20, gems)
    send(bob, UserFactory(), 1, gems)  # not Alice's

    body = transfers_page(alice_client, alice).json()

    assert [t["id"] for t in body["results"]] == [third.pk, second.pk, first.pk]
    assert [(t["from_user"], t["to_user"]) for t in body["results"]] == [
        (alice.pk, bob.pk),
        (bob.pk, alice.pk),
        (alice.pk, bob.pk),
    ]
    assert body["results"][1]["product_name"] == "Potion"
    assert (body["next"], body["previous"]) == (None, None)


def test_pages_follow_the_cursor_both_ways(alice, bob, alice_client, gems):
    sent = [send(alice, bob, n, gems).pk for n in range(1, 6)]
    newest_first = sent[::-1]

    page1 = transfers_page(alice_client, alice, page_size=2).json()
    assert [t["id"] for t in page1["results"]] == newest_first[:2]
    assert page1["previous"] is None
    page2 = alice_client.get(page1["next"]).json()
    assert [t["id"] for t in page2["results"]] == newest_first[2:4]
    page3 = alice_client.get(page2["next"]).json()
    assert [t["id"] for t in page3["results"]] == newest_first[4:]
    assert page3["next"] is None
    back = alice_client.get(page3["previous"]).json()
    assert [t["id"] for t in back["results"]] == newest_first[2:4]


def test_a_page_costs_a_fixed_number_of_queries(alice, gems, potion, django_assert_num_queries):
    carol = UserFactory(funds=1000)
    inventory.purchase_product(user_id=carol.pk, product_id=potion.pk, quantity=30)
    for n in range(15):
        send(alice, carol, 1 + n, gems)
        services.transfer_items(
            from_user_id=carol.pk, to_user_id=alice.pk, product_id=potion.pk, actor=carol
        )
    client = client_for(alice)
    client.force_authenticate(alice)
    # Sent, then received: one query per side whatever the number of transfers and products.
    with django_assert_num_queries(2):
        body = transfers_page(client, alice, page_size=25).json()
    assert len(body["results"]) == 25
    with django_assert_num_queries(2):
        assert len(client.get(body["next"]).json()["results"]) == 5


def test_another_player_is_403(alice, bob, bob_client, gems):
    send(alice, bob, 10, gems)
    assert_error(transfers_page(bob_client, alice), 403, "permission_denied")
    assert_error(transfers_page(client_for(UserFactory()), alice), 403, "permission_denied")


def test_staff_and_trusted_backends_read_anyones_transfers(
    alice, bob, staff_client, backend_client, gems
):
    transfer = send(alice, bob, 10, gems)
    for client in (staff_client, backend_client):
        response = transfers_page(client, bob)
        assert response.status_code == 200, response.content
        assert [t["id"] for t in response.json()["results"]] == [transfer.pk]


def test_an_unknown_player_is_404(staff_client):
    assert_error(staff_client.get("/api/v1/users/999999/transfers"), 404, "not_found")


@pytest.mark.parametrize(
    "query", ["cursor=nope", "cursor=o.1.-5", "page_size=0", "page_size=101", "page_size=x"]
)
def test_a_bad_query_is_400(alice, alice_client, query):
    response = alice_client.get(f"/api/v1/users/{alice.pk}/transfers?{query}")
    assert_error(response, 400, "validation_error")
