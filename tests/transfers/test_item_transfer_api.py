"""POST /transfers of items: units move from the sender's inventory row to the receiver's, with
the Transfer row and one event, or nothing at all; both inventory caches go stale on commit."""

import pytest

from economy.events.models import Event, EventType
from economy.inventory import services as inventory
from economy.inventory.models import InventoryItem
from economy.ledger.models import Transaction
from economy.transfers.models import Transfer
from tests.factories import PermanentProductFactory, ProductFactory, UserFactory
from tests.support.api import assert_error, client_for
from tests.support.api import inventory as inventory_of
from tests.support.transfers import post_transfer, snapshot, transfers_page

pytestmark = pytest.mark.django_db


def held(user, product):
    return (
        InventoryItem.objects.filter(user=user, product=product)
        .values_list("quantity", flat=True)
        .first()
    )


def test_a_player_gives_units_of_a_giftable_consumable(
    alice, bob, alice_client, bob_client, potion, alice_items
):
    ledger_rows = Transaction.objects.count()
    response = post_transfer(
        alice_client, from_user=alice.pk, to_user=bob.pk, product=potion.pk, quantity=2
    )

    assert response.status_code == 201, response.content
    body = response.json()
    transfer = Transfer.objects.get()
    assert body["transfer"] == {
        "id": transfer.pk,
        "from_user": alice.pk,
        "to_user": bob.pk,
        "currency": None,
        "amount": None,
        "transaction_id": None,
        "product_id": potion.pk,
        "product_name": "Potion",
        "quantity": 2,
        "reason": "",
        "created_at": body["transfer"]["created_at"],
    }
    assert body["sender"] == {"user_id": alice.pk, "product_id": potion.pk, "quantity": 3}
    assert body["receiver"] == {"user_id": bob.pk, "product_id": potion.pk, "quantity": 2}
    assert (held(alice, potion), held(bob, potion)) == (3, 2)
    assert (transfer.created_by, transfer.idempotency_key) == (alice, "transfer-1")
    # Items move without money: no ledger row.
    assert Transaction.objects.count() == ledger_rows
    [event] = Event.objects.filter(type=EventType.TRANSFER_COMPLETED)
    assert (event.type, event.user, event.payload) == (EventType.TRANSFER_COMPLETED, alice, body)
    for client, user in ((alice_client, alice), (bob_client, bob)):
        assert [t["id"] for t in transfers_page(client, user).json()["results"]] == [transfer.pk]


def test_units_add_to_what_the_receiver_already_holds(
    alice, bob, backend_client, potion, alice_items
):
    inventory.purchase_product(user_id=bob.pk, product_id=potion.pk, quantity=1)
    response = post_transfer(
        backend_client, from_user=alice.pk, to_user=bob.pk, product=potion.pk, quantity=5
    )
    assert response.status_code == 201, response.content
    assert response.json()["sender"]["quantity"] == 0
    assert (held(alice, potion), held(bob, potion)) == (0, 6)


def test_the_quantity_defaults_to_one(alice, bob, alice_client, skin, alice_items):
    response = post_transfer(alice_client, from_user=alice.pk, to_user=bob.pk, product=skin.pk)
    assert response.status_code == 201, response.content
    assert (held(alice, skin), held(bob, skin)) == (0, 1)
    # Bob owns it now: Alice may buy it again.
    assert inventory.purchase_product(user_id=alice.pk, product_id=skin.pk).quantity_held == 1


def test_a_trusted_backend_moves_products_that_are_not_giftable(
    alice, bob, backend, backend_client
):
    relic = PermanentProductFactory(is_giftable=False)
    inventory.purchase_product(user_id=alice.pk, product_id=relic.pk)
    response = post_transfer(backend_client, from_user=alice.pk, to_user=bob.pk, product=relic.pk)
    assert response.status_code == 201, response.content
    assert (held(alice, relic), held(bob, relic)) == (0, 1)
    assert Transfer.objects.get().created_by == backend


# on_commit callbacks run only when a transaction really commits.
@pytest.mark.django_db(transaction=True)
def test_both_inventory_caches_are_invalidated_on_commit():
    alice, bob = UserFactory(funds=1000), UserFactory(funds=1000)
    potion = ProductFactory(is_giftable=True, price=10)
    inventory.purchase_product(user_id=alice.pk, product_id=potion.pk, quantity=3)
    inventory.purchase_product(user_id=bob.pk, product_id=potion.pk, quantity=1)
    alice_client, bob_client = client_for(alice), client_for(bob)
    # Warm both caches.
    assert inventory_of(alice_client, alice).json()["consumables"][0]["quantity"] == 3
    assert inventory_of(bob_client, bob).json()["consumables"][0]["quantity"] == 1

    response = post_transfer(alice_client, from_user=alice.pk, to_user=bob.pk, product=potion.pk)

    assert response.status_code == 201, response.content
    assert inventory_of(alice_client, alice).json()["consumables"][0]["quantity"] == 2
    assert inventory_of(bob_client, bob).json()["consumables"][0]["quantity"] == 2


def test_the_cache_is_invalidated_only_once_the_transfer_commits(
    alice, bob, potion, alice_items, django_capture_on_commit_callbacks
):
    from economy.inventory.selectors import inventory_for_user
    from economy.transfers import services

    inventory_for_user(user_id=alice.pk)
    inventory_for_user(user_id=bob.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.transfer_items(
            from_user_id=alice.pk, to_user_id=bob.pk, product_id=potion.pk, actor=alice
        )
    # Not committed yet: the caches still show what was committed.
    assert inventory_for_user(user_id=bob.pk)["consumables"] == []
    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    assert inventory_for_user(user_id=bob.pk)["consumables"][0]["quantity"] == 1
    assert inventory_for_user(user_id=alice.pk)["consumables"][0]["quantity"] == 4


def test_a_replay_moves_once(alice, bob, alice_client, potion, alice_items):
    body = {"from_user": alice.pk, "to_user": bob.pk, "product": potion.pk, "quantity": 2}
    first = post_transfer(alice_client, key="give-1", **body)
    again = post_transfer(alice_client, key="give-1", **body)
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (held(alice, potion), held(bob, potion)) == (3, 2)
    transfers = Event.objects.filter(type=EventType.TRANSFER_COMPLETED)
    assert (Transfer.objects.count(), transfers.count()) == (1, 1)
    other = post_transfer(alice_client, key="give-1", **{**body, "quantity": 1})
    assert_error(other, 422, "idempotency_key_reused")


# --- refusals: each a clear 4xx, nothing changed, no event -------------------------------------


def refused(client, status, code, **body):
    """The refusal, having changed nothing but a 409's Idempotency-Key record."""
    before = snapshot()
    error = assert_error(post_transfer(client, **body), status, code)
    after = snapshot()
    assert after.pop("idempotency_keys") == before.pop("idempotency_keys") + (status == 409)
    assert after == before
    return error


def test_a_product_that_is_not_giftable_is_409_not_transferable(alice, bob, alice_client):
    relic = ProductFactory(is_giftable=False)
    inventory.purchase_product(user_id=alice.pk, product_id=relic.pk)
    error = refused(
        alice_client, 409, "not_transferable", from_user=alice.pk, to_user=bob.pk, product=relic.pk
    )
    assert error["details"] == {"reason": "not_giftable", "product_id": relic.pk}


def test_a_player_may_give_only_its_own_items(alice, bob, bob_client, potion, alice_items):
    refused(
        bob_client, 403, "permission_denied", from_user=alice.pk, to_user=bob.pk, product=potion.pk
    )


def test_a_product_the_sender_does_not_hold_is_409_not_in_inventory(alice, bob, bob_client, potion):
    refused(
        bob_client, 409, "not_in_inventory", from_user=bob.pk, to_user=alice.pk, product=potion.pk
    )


def test_a_used_up_consumable_is_409_not_in_inventory(
    alice, bob, alice_client, potion, alice_items
):
    inventory.use_product(user_id=alice.pk, product_id=potion.pk, quantity=5)
    refused(
        alice_client, 409, "not_in_inventory", from_user=alice.pk, to_user=bob.pk, product=potion.pk
    )


def test_more_units_than_held_is_409_insufficient_quantity(
    alice, bob, alice_client, potion, alice_items
):
    error = refused(
        alice_client,
        409,
        "insufficient_quantity",
        from_user=alice.pk,
        to_user=bob.pk,
        product=potion.pk,
        quantity=6,
    )
    assert error["details"] == {"product_id": potion.pk, "held": 5, "requested": 6}


def test_a_permanent_the_receiver_owns_is_409_already_owned(
    alice, bob, alice_client, skin, alice_items
):
    inventory.purchase_product(user_id=bob.pk, product_id=skin.pk)
    refused(alice_client, 409, "already_owned", from_user=alice.pk, to_user=bob.pk, product=skin.pk)


def test_a_permanent_moves_one_at_a_time(alice, bob, alice_client, skin, alice_items):
    refused(
        alice_client,
        409,
        "quantity_not_allowed",
        from_user=alice.pk,
        to_user=bob.pk,
        product=skin.pk,
        quantity=2,
    )


def test_an_unknown_product_or_user_is_404(alice, bob, alice_client, potion, alice_items):
    refused(alice_client, 404, "not_found", from_user=alice.pk, to_user=bob.pk, product=10**9)
    missing = UserFactory.build(pk=10**9).pk
    refused(alice_client, 404, "not_found", from_user=alice.pk, to_user=missing, product=potion.pk)


def test_giving_to_oneself_is_409_not_transferable(alice, alice_client, potion, alice_items):
    refused(
        alice_client,
        409,
        "not_transferable",
        from_user=alice.pk,
        to_user=alice.pk,
        product=potion.pk,
    )


@pytest.mark.parametrize(
    "body",
    [
        {"quantity": 0},
        {"quantity": "1"},
        {"quantity": 1001},
        {"product": "potion"},
        {"product": 0},
        {"amount": 5},  # both shapes at once
    ],
)
def test_bad_input_is_400_validation_error(alice, bob, alice_client, potion, alice_items, body):
    refused(
        alice_client,
        400,
        "validation_error",
        **{"from_user": alice.pk, "to_user": bob.pk, "product": potion.pk, **body},
    )
