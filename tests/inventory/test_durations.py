"""Time-limited permanents (`duration` on a permanent) and consumables whose effect runs for a
while once used (`duration` on a consumable)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from economy.common.exceptions import NotRefundable, NotTransferable
from economy.events.models import Event, EventType
from economy.inventory import services, tasks
from economy.inventory.models import InventoryItem
from economy.transfers import services as transfers
from tests.factories import PermanentProductFactory, ProductFactory, StaffFactory, UserFactory
from tests.support.api import assert_error, inventory, purchase
from tests.support.ledger import assert_ledger_consistent, balance_of

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture
def premium():
    return PermanentProductFactory(name="Premium (30 days)", price=100, duration=30 * DAY)


@pytest.fixture
def boost():
    return ProductFactory(name="XP boost", price=10, duration=DAY)


def item_of(user, product):
    return InventoryItem.objects.get(user=user, product=product)


def expire(user, product, ago=timedelta(seconds=1)):
    """Move the item's expiry into the past, as time passing would (no trigger guards it)."""
    InventoryItem.objects.filter(user=user, product=product).update(expires_at=timezone.now() - ago)


def test_a_time_limited_item_expires_a_duration_after_it_is_bought(player, premium):
    before = timezone.now()
    result = services.purchase_product(user_id=player.pk, product_id=premium.pk)
    after = timezone.now()

    assert before + 30 * DAY <= result.expires_at <= after + 30 * DAY
    assert item_of(player, premium).expires_at == result.expires_at


def test_a_repurchase_extends_it_from_its_expiry(player, premium):
    first = services.purchase_product(user_id=player.pk, product_id=premium.pk)

    second = services.purchase_product(user_id=player.pk, product_id=premium.pk)

    assert second.expires_at == first.expires_at + 30 * DAY
    assert balance_of(player) == 800


def test_an_expired_item_is_not_owned_and_a_new_purchase_starts_from_now(player, premium):
    services.purchase_product(user_id=player.pk, product_id=premium.pk)
    expire(player, premium, ago=10 * DAY)

    before = timezone.now()
    again = services.purchase_product(user_id=player.pk, product_id=premium.pk)

    assert again.expires_at >= before + 30 * DAY  # not the old expiry + 30 days
    assert again.expires_at < before + 31 * DAY


def test_an_expired_item_is_never_listed_even_from_a_warm_cache(player, player_client, premium):
    services.purchase_product(user_id=player.pk, product_id=premium.pk)
    [listed] = inventory(player_client, player).json()["permanents"]  # cached now
    expires_at = parse_datetime(listed["expires_at"])
    assert expires_at == item_of(player, premium).expires_at

    # Time passes its expiry, with no write the cache would hear of.
    body = _inventory_at(player_client, player, expires_at + timedelta(seconds=1))

    assert body["permanents"] == []


def _inventory_at(client, user, moment):
    """GET the inventory as if it were `moment` (django.utils.timezone.now patched)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return inventory(client, user).json()


def test_the_expiry_task_marks_expired_items_once_with_an_event(player, premium):
    other = UserFactory(funds=1000)
    services.purchase_product(user_id=player.pk, product_id=premium.pk)
    services.purchase_product(user_id=other.pk, product_id=premium.pk)
    expire(player, premium)

    assert tasks.expire_items() == 1
    assert tasks.expire_items() == 0

    assert item_of(player, premium).quantity == 0
    assert item_of(other, premium).quantity == 1
    [event] = Event.objects.filter(type=EventType.ITEM_EXPIRED)
    assert event.user == player
    assert event.payload["product"] == {
        "id": premium.pk,
        "name": "Premium (30 days)",
        "type": "permanent",
    }
    assert parse_datetime(event.payload["expired_at"]) == item_of(player, premium).expires_at


def test_refunding_a_time_limited_item_takes_back_the_time_it_gained(player, premium):
    first = services.purchase_product(user_id=player.pk, product_id=premium.pk)
    second = services.purchase_product(user_id=player.pk, product_id=premium.pk)

    services.refund_purchase(transaction_id=second.transaction.pk, reason="Bought twice")

    assert item_of(player, premium).expires_at == first.expires_at
    assert item_of(player, premium).quantity == 1
    assert balance_of(player) == 900
    assert_ledger_consistent()


def test_an_expired_item_is_not_refunded(player, premium):
    bought = services.purchase_product(user_id=player.pk, product_id=premium.pk)
    expire(player, premium)

    with pytest.raises(NotRefundable):
        services.refund_purchase(transaction_id=bought.transaction.pk, reason="Too late")


def test_a_time_limited_item_cannot_be_sent_to_another_player(player, premium):
    services.purchase_product(user_id=player.pk, product_id=premium.pk)

    with pytest.raises(NotTransferable) as refused:
        transfers.transfer_items(
            from_user_id=player.pk,
            to_user_id=UserFactory().pk,
            product_id=premium.pk,
            actor=StaffFactory(),
            trusted=True,
        )

    assert refused.value.details["reason"] == "time_limited"
    assert item_of(player, premium).quantity == 1


def test_using_a_boost_starts_its_effect_and_using_more_extends_it(player, boost):
    services.purchase_product(user_id=player.pk, product_id=boost.pk, quantity=3)

    before = timezone.now()
    first = services.use_product(user_id=player.pk, product_id=boost.pk)
    assert before + DAY <= first.active_until <= timezone.now() + DAY

    second = services.use_product(user_id=player.pk, product_id=boost.pk, quantity=2)

    assert second.active_until == first.active_until + 2 * DAY
    assert second.quantity_left == 0
    assert item_of(player, boost).active_until == second.active_until


def test_an_ended_effect_restarts_from_now(player, boost):
    services.purchase_product(user_id=player.pk, product_id=boost.pk, quantity=2)
    services.use_product(user_id=player.pk, product_id=boost.pk)
    InventoryItem.objects.filter(user=player, product=boost).update(
        active_until=timezone.now() - DAY
    )

    before = timezone.now()
    use = services.use_product(user_id=player.pk, product_id=boost.pk)

    assert before + DAY <= use.active_until < before + DAY + timedelta(minutes=1)


def test_the_inventory_shows_an_active_boost_even_with_no_unit_left(player, player_client, boost):
    services.purchase_product(user_id=player.pk, product_id=boost.pk)
    response = player_client.post(f"/api/v1/products/{boost.pk}/use", {}, format="json")
    assert response.status_code == 200
    active_until = response.json()["active_until"]

    body = inventory(player_client, player).json()

    assert body["consumables"] == []  # no unit left
    assert body["active_effects"] == [
        {"product_id": boost.pk, "name": "XP boost", "active_until": active_until}
    ]
    # Once it has run out, the cached entry is not served.
    later = parse_datetime(active_until) + timedelta(seconds=1)
    assert _inventory_at(player_client, player, later)["active_effects"] == []


def test_the_api_shows_a_time_limited_purchase_with_its_expiry(player_client, premium):
    response = purchase(player_client, premium)

    assert response.status_code == 201
    body = response.json()
    assert body["expires_at"] is not None
    listed = player_client.get(f"/api/v1/products/{premium.pk}").json()
    assert listed["duration_seconds"] == 30 * 86400


def test_a_permanent_for_good_is_still_refused_when_owned(player_client, player):
    skin = PermanentProductFactory()
    purchase(player_client, skin)

    assert_error(purchase(player_client, skin), 409, "already_owned")
