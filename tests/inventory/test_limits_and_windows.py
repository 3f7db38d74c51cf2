"""Per-player purchase limits (lifetime, per UTC day, per week) and availability windows."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from economy.catalog.models import LimitPeriod, Product
from economy.common.exceptions import ProductUnavailable, PurchaseLimitReached
from economy.inventory import services
from economy.ledger.models import Status, Transaction
from tests.factories import ProductFactory, UserFactory
from tests.support.api import assert_error, buy, client_for, purchase
from tests.support.concurrency import run_concurrently
from tests.support.ledger import assert_ledger_consistent, backdated_purchase, balance_of

DAY = timedelta(days=1)


@pytest.fixture
def offer(db):
    return ProductFactory(name="Welcome offer", price=20, purchase_limit=1)


@pytest.mark.django_db
def test_a_one_per_player_offer_sells_once_per_player(player, offer):
    services.purchase_product(user_id=player.pk, product_id=offer.pk)

    with pytest.raises(PurchaseLimitReached) as refused:
        services.purchase_product(user_id=player.pk, product_id=offer.pk)

    assert refused.value.details == {
        "product_id": offer.pk,
        "limit": 1,
        "period": "lifetime",
        "remaining": 0,
        "resets_at": None,
    }
    assert balance_of(player) == 980
    failed = Transaction.objects.get(product=offer, status=Status.FAILED)
    assert failed.failure_reason == "purchase_limit_reached"
    # Another player has an allowance of its own.
    services.purchase_product(user_id=UserFactory(funds=100).pk, product_id=offer.pk)


@pytest.mark.django_db
def test_a_refund_does_not_give_the_allowance_back(player, offer):
    bought = services.purchase_product(user_id=player.pk, product_id=offer.pk)
    services.refund_purchase(transaction_id=bought.transaction.pk, reason="Changed mind")

    with pytest.raises(PurchaseLimitReached):
        services.purchase_product(user_id=player.pk, product_id=offer.pk)


@pytest.mark.django_db
def test_a_limit_counts_units_and_refuses_what_would_pass_it(player):
    lives = ProductFactory(price=10, purchase_limit=5)
    services.purchase_product(user_id=player.pk, product_id=lives.pk, quantity=3)

    with pytest.raises(PurchaseLimitReached) as refused:
        services.purchase_product(user_id=player.pk, product_id=lives.pk, quantity=3)

    assert refused.value.details["remaining"] == 2
    services.purchase_product(user_id=player.pk, product_id=lives.pk, quantity=2)


@pytest.mark.django_db
def test_a_daily_limit_counts_from_midnight_utc_and_says_when_it_resets(player, player_client):
    daily = ProductFactory(price=10, purchase_limit=2, limit_period=LimitPeriod.DAY)
    midnight = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    backdated_purchase(player, daily, midnight - timedelta(seconds=1), quantity=2)  # yesterday
    buy(player_client, daily, 2)

    error = assert_error(purchase(player_client, daily), 409, "purchase_limit_reached")

    assert error["details"]["period"] == "day"
    assert error["details"]["resets_at"] == (midnight + DAY).isoformat().replace("+00:00", "Z")


@pytest.mark.django_db
def test_a_weekly_limit_counts_from_monday_utc(player):
    weekly = ProductFactory(price=10, purchase_limit=1, limit_period=LimitPeriod.WEEK)
    start, resets_at = weekly.limit_window(timezone.now())
    assert start.weekday() == 0 and (start.hour, start.minute) == (0, 0)
    assert resets_at == start + timedelta(weeks=1)
    backdated_purchase(player, weekly, start - timedelta(seconds=1))  # last week

    services.purchase_product(user_id=player.pk, product_id=weekly.pk)
    with pytest.raises(PurchaseLimitReached):
        services.purchase_product(user_id=player.pk, product_id=weekly.pk)


def test_the_limit_window_of_each_period():
    product = Product(purchase_limit=1, limit_period=LimitPeriod.DAY)
    wednesday = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)
    assert product.limit_window(wednesday) == (
        datetime(2026, 12, 2, tzinfo=UTC),
        datetime(2026, 12, 3, tzinfo=UTC),
    )
    product.limit_period = LimitPeriod.WEEK
    assert product.limit_window(wednesday) == (
        datetime(2026, 11, 30, tzinfo=UTC),
        datetime(2026, 12, 7, tzinfo=UTC),
    )
    product.limit_period = LimitPeriod.LIFETIME
    assert product.limit_window(wednesday) == (None, None)


@pytest.mark.django_db
def test_the_product_list_shows_the_callers_remaining_allowance(
    player, player_client, offer, django_assert_max_num_queries
):
    daily = ProductFactory(price=10, purchase_limit=3, limit_period=LimitPeriod.DAY)
    unlimited = ProductFactory()
    buy(player_client, daily, 2)
    buy(player_client, offer)

    with django_assert_max_num_queries(8):  # one count query per kind of period, not per product
        body = player_client.get("/api/v1/products").json()

    limits = {p["id"]: p["purchase_limit"] for p in body["results"]}
    assert limits[unlimited.pk] is None
    assert limits[offer.pk] == {
        "limit": 1,
        "period": "lifetime",
        "remaining": 0,
        "resets_at": None,
    }
    assert limits[daily.pk]["remaining"] == 1 and limits[daily.pk]["resets_at"]
    other = client_for(UserFactory()).get(f"/api/v1/products/{offer.pk}").json()
    assert other["purchase_limit"]["remaining"] == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_purchases_of_a_one_per_player_offer_succeed_exactly_once():
    player = UserFactory(funds=1000)
    offer = ProductFactory(price=20, purchase_limit=1)
    path = f"/api/v1/products/{offer.pk}/purchase"

    results = run_concurrently(
        lambda c: c.post(path, {}, format="json").status_code,
        [(client_for(player),) for _ in range(12)],
    )

    assert sorted(results) == [201] + [409] * 11
    assert balance_of(player) == 980
    assert Transaction.objects.filter(product=offer, status=Status.COMPLETED).count() == 1
    assert_ledger_consistent()


@pytest.mark.django_db
def test_a_product_outside_its_window_is_not_listed_nor_sold(player, player_client):
    now = timezone.now()
    coming = ProductFactory(name="Coming soon", available_from=now + DAY)
    over = ProductFactory(name="Sale over", available_until=now - timedelta(seconds=1))
    weekend = ProductFactory(
        name="Weekend sale", available_from=now - DAY, available_until=now + DAY
    )

    listed = {p["name"] for p in player_client.get("/api/v1/products").json()["results"]}

    assert listed == {"Weekend sale"}
    for product in (coming, over):
        assert player_client.get(f"/api/v1/products/{product.pk}").status_code == 404
        assert_error(purchase(player_client, product), 409, "product_unavailable")
        with pytest.raises(ProductUnavailable):
            services.purchase_product(user_id=player.pk, product_id=product.pk)
    buy(player_client, weekend)
    assert balance_of(player) == 900


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"duration": timedelta(seconds=-1)},
        {"duration": timedelta(0)},
        {"purchase_limit": 0},
        {"limit_period": "month"},
        {
            "available_from": datetime(2027, 1, 2, tzinfo=UTC),
            "available_until": datetime(2027, 1, 1, tzinfo=UTC),
        },
    ],
)
def test_the_database_refuses_a_bad_rule_written_directly(fields):
    product = ProductFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(**fields)
