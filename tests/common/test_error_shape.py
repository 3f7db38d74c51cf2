"""Every error, DRF's own included, has the contract's shape."""

import pytest
from rest_framework.test import APIClient

from tests.factories import TokenFactory
from tests.support.api import assert_error

pytestmark = pytest.mark.django_db


def test_400_validation_error_has_details_per_field(player_client, product):
    error = assert_error(
        player_client.post(
            f"/api/v1/products/{product.pk}/purchase", {"quantity": 0}, format="json"
        ),
        400,
        "validation_error",
    )
    assert "quantity" in error["details"]


def test_400_for_a_body_that_is_not_json(player_client, product):
    response = player_client.post(
        f"/api/v1/products/{product.pk}/purchase", "{not json", content_type="application/json"
    )
    assert_error(response, 400, "validation_error")


def test_401_without_credentials(api_client):
    assert_error(api_client.get("/api/v1/products"), 401, "not_authenticated")


def test_403_on_another_users_data(player_client, staff):
    assert_error(player_client.get(f"/api/v1/users/{staff.pk}"), 403, "permission_denied")


def test_404_for_an_unknown_product(player_client):
    assert_error(player_client.get("/api/v1/products/424242"), 404, "not_found")


def test_404_for_an_unknown_api_route(player_client, settings):
    settings.DEBUG = False
    assert_error(player_client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_405_for_a_wrong_method(player_client):
    assert_error(player_client.delete("/api/v1/products"), 405, "method_not_allowed")


def test_415_for_a_body_that_is_not_json_content(player_client, product):
    response = player_client.post(
        f"/api/v1/products/{product.pk}/purchase",
        "quantity=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert_error(response, 415, "unsupported_media_type")


def test_409_insufficient_funds_names_the_currency_and_the_shortfall(
    player, player_client, product
):
    error = assert_error(
        player_client.post(
            f"/api/v1/products/{product.pk}/purchase", {"quantity": 11}, format="json"
        ),
        409,
        "insufficient_funds",
    )
    assert error["details"] == {"currency": "coins", "available": 1000, "required": 1100}


def test_409_balance_limit_exceeded_names_the_currency_and_its_maximum(backend_client, player):
    from tests.factories import CurrencyFactory

    CurrencyFactory(code="gems", initial_grant=10, max_balance=100)
    error = assert_error(
        backend_client.post(
            f"/api/v1/users/{player.pk}/add-funds",
            {"amount": 91, "currency": "gems"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="too-many-gems",
        ),
        409,
        "balance_limit_exceeded",
    )
    assert error["details"] == {"currency": "gems", "balance": 10, "maximum": 100}


def test_409_for_a_well_formed_but_unknown_currency_names_it(backend_client, player):
    error = assert_error(
        backend_client.post(
            f"/api/v1/users/{player.pk}/add-funds",
            {"amount": 5, "currency": "doubloons"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="doubloons",
        ),
        409,
        "currency_unavailable",
    )
    assert error["details"] == {"currency": "doubloons"}


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v2/users/me", "/api/"])
def test_404_for_an_unknown_api_route_is_json_under_debug_too(player, settings, path):
    """DEBUG (`make run`) shows Django's HTML page for a URL no route matches, not handler404;
    and a POST there gets its 404, not Django's CSRF failure page."""
    settings.DEBUG = True
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {TokenFactory(user=player).key}")
    assert_error(client.get(path), 404, "not_found")
    assert_error(client.post(path, {}, format="json"), 404, "not_found")
