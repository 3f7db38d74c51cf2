"""GET /api/v1/currencies: the active currencies, with their limits."""

import pytest

from economy.catalog import services as catalog
from tests.factories import CurrencyFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/currencies"


def test_lists_the_active_currencies_with_their_limits(player_client):
    CurrencyFactory(
        code="gems",
        name="Gems",
        initial_grant=25,
        max_balance=1000,
        is_giftable=True,
        daily_transfer_limit=300,
    )
    CurrencyFactory(code="tokens", is_active=False)
    response = player_client.get(URL)
    assert response.status_code == 200
    assert response.json() == [
        {
            "code": "coins",
            "name": "Coins",
            "initial_grant": 0,
            "max_balance": None,
            "is_default": True,
            "is_giftable": False,
            "daily_transfer_limit": 10_000,  # ECONOMY_DAILY_TRANSFER_LIMIT
        },
        {
            "code": "gems",
            "name": "Gems",
            "initial_grant": 25,
            "max_balance": 1000,
            "is_default": False,
            "is_giftable": True,
            "daily_transfer_limit": 300,
        },
    ]


def test_the_default_moves_with_make_default_currency(player_client):
    gems = CurrencyFactory(code="gems", is_active=False)
    catalog.make_default_currency(currency=gems)
    body = player_client.get(URL).json()
    assert {c["code"]: c["is_default"] for c in body} == {"coins": False, "gems": True}


def test_anonymous_callers_get_401(api_client):
    response = api_client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_list_costs_a_fixed_number_of_queries(player_client, django_assert_num_queries):
    CurrencyFactory.create_batch(5)
    # token + its permissions (first request of the token) + the currencies
    with django_assert_num_queries(3):
        assert len(player_client.get(URL).json()) == 6
