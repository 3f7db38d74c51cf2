"""Purchase, use, add-funds, spend and transfers are rate limited per user: 429 `rate_limited`,
Retry-After."""

import pytest

from economy.ledger.models import Kind, Transaction
from tests.factories import UserFactory
from tests.support.api import CLOSED_PORT_CACHE
from tests.support.ledger import assert_ledger_consistent, balance_of

pytestmark = pytest.mark.django_db


def purchase(client, product, **body):
    return client.post(
        f"/api/v1/products/{product.pk}/purchase", {"quantity": 1, **body}, format="json"
    )


def use(client, product):
    return client.post(f"/api/v1/products/{product.pk}/use", {"quantity": 1}, format="json")


def add_funds(client, user, key):
    return client.post(
        f"/api/v1/users/{user.pk}/add-funds",
        {"amount": 10},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def spend(client, user, key):
    return client.post(
        f"/api/v1/users/{user.pk}/spend", {"amount": 10}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def transfer(client, sender, receiver, key):
    return client.post(
        "/api/v1/transfers",
        {"from_user": sender.pk, "to_user": receiver.pk, "amount": 10},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def assert_rate_limited(response):
    assert response.status_code == 429, response.content
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["message"]
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60  # the rate under test is 3/m
    assert error["details"] == {"retry_after": retry_after}
    return retry_after


def test_purchases_over_the_rate_are_refused_with_429_and_change_nothing(
    limiter, player, player_client, product
):
    for _ in range(3):
        assert purchase(player_client, product).status_code == 201
    assert_rate_limited(purchase(player_client, product))
    assert Transaction.objects.filter(user=player, kind=Kind.PURCHASE).count() == 3
    assert balance_of(player) == 1000 - 3 * 100
    assert_ledger_consistent()


@pytest.mark.parametrize("offset", [0, 17, 31, 59])
def test_retry_after_is_the_time_left_in_the_window(limiter, player_client, product, offset):
    limiter.advance(offset)  # wherever the request falls in its window
    for _ in range(3):
        purchase(player_client, product)
    retry_after = assert_rate_limited(purchase(player_client, product))

    limiter.advance(retry_after - 1)  # one second early: still limited
    assert purchase(player_client, product).status_code == 429

    limiter.advance(1)  # the window has reset
    assert purchase(player_client, product).status_code == 201


def test_each_player_has_its_own_budget(limiter, player_client, product, make_client):
    for _ in range(3):
        purchase(player_client, product)
    assert purchase(player_client, product).status_code == 429
    other = make_client(UserFactory(funds=1000))
    assert purchase(other, product).status_code == 201


def test_use_is_limited_per_user(limiter, player_client, product):
    player_client.post(f"/api/v1/products/{product.pk}/purchase", {"quantity": 10}, format="json")
    for _ in range(3):
        assert use(player_client, product).status_code == 200
    assert_rate_limited(use(player_client, product))


def test_add_funds_is_limited_per_backend_and_player(limiter, backend_client, player):
    for n in range(3):
        assert add_funds(backend_client, player, f"k{n}").status_code == 201
    assert_rate_limited(add_funds(backend_client, player, "k3"))
    # The payments backend credits every player: another player has its own budget.
    assert add_funds(backend_client, UserFactory(), "k4").status_code == 201
    assert balance_of(player) == 1000 + 3 * 10


def test_spend_is_limited_per_backend_and_player(limiter, backend_client, player):
    for n in range(3):
        assert spend(backend_client, player, f"k{n}").status_code == 201
    assert_rate_limited(spend(backend_client, player, "k3"))
    assert spend(backend_client, UserFactory(funds=100), "k4").status_code == 201
    assert balance_of(player) == 1000 - 3 * 10
    assert Transaction.objects.filter(user=player, kind=Kind.SPEND).count() == 3
    assert_ledger_consistent()


def test_spend_and_add_funds_have_budgets_of_their_own(limiter, backend_client, player):
    for n in range(3):
        assert add_funds(backend_client, player, f"in{n}").status_code == 201
    assert add_funds(backend_client, player, "in3").status_code == 429
    for n in range(3):
        assert spend(backend_client, player, f"out{n}").status_code == 201
    assert spend(backend_client, player, "out3").status_code == 429
    assert balance_of(player) == 1000


def test_a_backend_buying_for_players_is_counted_per_player(
    limiter, backend, backend_client, product
):
    first, second = UserFactory(funds=1000), UserFactory(funds=1000)
    for _ in range(3):
        assert purchase(backend_client, product, user_id=first.pk).status_code == 201
    assert purchase(backend_client, product, user_id=first.pk).status_code == 429
    assert purchase(backend_client, product, user_id=second.pk).status_code == 201


def test_a_player_naming_someone_else_still_spends_its_own_budget(limiter, player_client, product):
    victim = UserFactory(funds=1000)
    for _ in range(3):
        assert purchase(player_client, product, user_id=victim.pk).status_code == 403
    assert purchase(player_client, product).status_code == 429


def test_a_backend_settling_transfers_is_counted_per_sender(limiter, backend_client, player):
    receiver, other_sender = UserFactory(), UserFactory(funds=100)
    for n in range(3):
        assert transfer(backend_client, player, receiver, f"t{n}").status_code == 201
    assert_rate_limited(transfer(backend_client, player, receiver, "t3"))
    assert transfer(backend_client, other_sender, receiver, "t4").status_code == 201
    assert (balance_of(player), balance_of(receiver)) == (1000 - 3 * 10, 4 * 10)


def test_a_player_naming_another_sender_still_spends_its_own_transfer_budget(
    limiter, player, player_client
):
    victim, receiver = UserFactory(funds=1000), UserFactory()
    for n in range(3):
        assert transfer(player_client, victim, receiver, f"t{n}").status_code == 403
    assert_rate_limited(transfer(player_client, player, receiver, "t3"))
    assert balance_of(victim) == 1000


def test_anonymous_callers_get_401_before_any_counting(limiter, api_client, product):
    for _ in range(5):
        response = purchase(api_client, product)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


def test_a_malformed_body_is_still_a_400(limiter, backend_client, product):
    response = backend_client.post(
        f"/api/v1/products/{product.pk}/purchase", "{oops", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_the_rate_comes_from_the_settings(limiter, settings, player_client, product):
    settings.ECONOMY_RATE_LIMIT_WRITES = "1/h"
    assert purchase(player_client, product).status_code == 201
    response = purchase(player_client, product)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 3600


def test_redis_down_lets_players_through(limiter, settings, player_client, product):
    settings.CACHES = CLOSED_PORT_CACHE
    for _ in range(5):
        assert purchase(player_client, product).status_code == 201


def test_the_limiter_is_off_in_the_rest_of_the_suite(settings, player_client, product):
    assert settings.RATELIMIT_ENABLE is False
    settings.ECONOMY_RATE_LIMIT_WRITES = "1/h"
    for _ in range(3):
        assert purchase(player_client, product).status_code == 201
