"""Requests a black-box attack sent: each is refused cleanly and changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from economy.ledger import holds
from tests.factories import UserFactory, default_currency
from tests.support.api import assert_error
from tests.support.ledger import balance_of, snapshot

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "body",
    [
        '{"quantity": 1, "quantity": 5}',
        '{"quantity": 1, "extra": {"a": 1, "a": 2}}',
    ],
)
def test_a_duplicate_json_key_is_400_and_buys_nothing(player_client, product, body):
    before = snapshot()
    response = player_client.post(
        f"/api/v1/products/{product.pk}/purchase", body, content_type="application/json"
    )
    error = assert_error(response, 400, "validation_error")
    assert "duplicate key" in error["message"]
    assert snapshot() == before


def test_a_duplicate_amount_is_400_and_credits_nothing(backend_client, player):
    response = backend_client.post(
        f"/api/v1/users/{player.pk}/add-funds",
        '{"amount": 1, "amount": 90000}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="dup-1",
    )
    assert_error(response, 400, "validation_error")
    assert balance_of(player) == 1000


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_numbers_are_400(player_client, product, constant):
    response = player_client.post(
        f"/api/v1/products/{product.pk}/purchase",
        f'{{"quantity": {constant}}}',
        content_type="application/json",
    )
    assert_error(response, 400, "validation_error")


@pytest.mark.parametrize("value", ["\u0667", "7.0", "", " 7", "+7", "0x7"])
def test_query_integers_are_ascii_digits_only(player_client, value):
    response = player_client.get("/api/v1/analytics/popular-products", {"days": value})
    error = assert_error(response, 400, "validation_error")
    assert set(error["details"]) == {"days"}


@pytest.mark.parametrize("path", ["/api/v1/users/{id}", "/api/v1/users/{id}/inventory"])
def test_options_on_another_players_data_is_403_like_get(player_client, path):
    other = UserFactory()
    assert_error(player_client.options(path.format(id=other.pk)), 403, "permission_denied")


def test_options_on_a_hold_is_answered_as_get_is(player_client, make_client):
    others = holds.place_hold(
        user_id=UserFactory(funds=100).pk,
        amount=40,
        currency=default_currency(),
        expires_at=timezone.now() + timedelta(hours=1),
    ).hold
    assert_error(player_client.options(f"/api/v1/holds/{others.pk}"), 403, "permission_denied")
    assert_error(player_client.options(f"/api/v1/holds/{others.pk + 1}"), 404, "not_found")
    owner = make_client(others.user)
    assert owner.options(f"/api/v1/holds/{others.pk}").status_code == 200


@pytest.mark.parametrize("key", [" padded", "padded ", "tab\there", "x" * 256])
def test_an_idempotency_key_outside_the_schema_rule_is_400(backend_client, player, key):
    response = backend_client.post(
        f"/api/v1/users/{player.pk}/add-funds",
        {"amount": 5},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert_error(response, 400, "idempotency_key_invalid")
    assert balance_of(player) == 1000


def test_a_permanent_bought_by_the_dozen_is_a_409_not_a_400(player_client, permanent):
    response = player_client.post(
        f"/api/v1/products/{permanent.pk}/purchase", {"quantity": 12}, format="json"
    )
    assert_error(response, 409, "quantity_not_allowed")
