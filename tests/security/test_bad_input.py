"""Malformed requests: each gets a clear 4xx in the contract's error shape, and nothing in the
database changes (row counts, balances, holdings compared before and after)."""

import base64
import json
import re
import uuid

import pytest

from tests.support.api import assert_error
from tests.support.ledger import snapshot

pytestmark = pytest.mark.django_db

HUGE = 2**70
BEYOND_BIGINT = "99999999999999999999999"


# Strings outside the cursor's stated shape ("o.<microseconds>.<id>"): the old base64
# positions included.
FORGED_CURSORS = [
    base64.urlsafe_b64encode(b"o|2026-01-01T00:00:00+00:00|5").decode().rstrip("="),
    "o.-5.5",
    "o.1.-5",
    "x.1.5",
    "o.123456789012345678.5",  # 18 digits of microseconds: beyond the schema's 17
    "o.1.5.extra",
    "o.%D9%A7.5",  # an Arabic-Indic digit
    "o..5",
]


@pytest.fixture(autouse=True)
def _production_like(settings):
    # Django's own 404 and 500 pages differ with DEBUG on; the service runs with it off.
    settings.DEBUG = False


@pytest.fixture
def unchanged(db, player, product, permanent):
    before = snapshot()
    yield
    assert snapshot() == before


def post_json(client, path, body, **headers):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(path, data, content_type="application/json", **headers)


# --- bodies ---------------------------------------------------------------------------------

NOT_JSON = ["{not json", "[1, 2", "quantity=1", "\xff\xfe", "null", "[]", '"a string"', "1"]


MONEY_ROUTES = ["add-funds", "spend"]


@pytest.mark.parametrize("body", NOT_JSON)
@pytest.mark.parametrize("route", ["purchase", "use", *MONEY_ROUTES, "transfers"])
def test_a_body_that_is_not_a_json_object_is_400(
    route, body, player, player_client, backend_client, product, unchanged
):
    if route == "transfers":
        client, path = backend_client, "/api/v1/transfers"
    elif route in MONEY_ROUTES:
        client, path = backend_client, f"/api/v1/users/{player.pk}/{route}"
    else:
        client, path = player_client, f"/api/v1/products/{product.pk}/{route}"
    response = post_json(client, path, body, HTTP_IDEMPOTENCY_KEY="bad-body")
    assert_error(response, 400, "validation_error")


def test_a_body_in_another_media_type_is_415(player_client, product, unchanged):
    response = player_client.generic(
        "POST",
        f"/api/v1/products/{product.pk}/purchase",
        b"<quantity>1</quantity>",
        content_type="application/xml",
    )
    assert_error(response, 415, "unsupported_media_type")


WRONG_QUANTITIES = [
    0,
    -1,
    -(2**63),
    HUGE,
    -HUGE,
    1.5,
    1.0,
    "1",
    "one",
    True,
    None,
    [1],
    {"n": 1},
    10**400,
]


@pytest.mark.parametrize("quantity", WRONG_QUANTITIES, ids=repr)
@pytest.mark.parametrize("route", ["purchase", "use"])
def test_a_wrong_quantity_is_400(route, quantity, player_client, product, unchanged):
    response = post_json(
        player_client, f"/api/v1/products/{product.pk}/{route}", {"quantity": quantity}
    )
    error = assert_error(response, 400, "validation_error")
    assert "quantity" in error["details"]


@pytest.mark.parametrize("amount", [*WRONG_QUANTITIES, 100_001], ids=repr)
@pytest.mark.parametrize("route", MONEY_ROUTES)
def test_a_wrong_amount_is_400(route, amount, player, backend_client, unchanged):
    response = post_json(
        backend_client,
        f"/api/v1/users/{player.pk}/{route}",
        {"amount": amount},
        HTTP_IDEMPOTENCY_KEY=f"bad-amount-{amount!r}"[:255],
    )
    error = assert_error(response, 400, "validation_error")
    assert "amount" in error["details"]


# Beyond its bounds (ECONOMY_MAX_DEPOSIT, ECONOMY_MAX_PURCHASE_QUANTITY) for a number, or not an
# integer at all for an id: an integer id that large is well formed, and names nobody (404).
WRONG_TRANSFER_NUMBERS = [
    *[(field, value) for field in ("amount", "quantity") for value in [*WRONG_QUANTITIES, 100_001]],
    *[
        (field, value)
        for field in ("from_user", "to_user", "product")
        for value in WRONG_QUANTITIES
    ],
]


@pytest.mark.parametrize(("field", "value"), WRONG_TRANSFER_NUMBERS, ids=repr)
def test_a_wrong_number_in_a_transfer_is_400(field, value, player, backend_client):
    from tests.factories import UserFactory

    shape = "product" if field in ("quantity", "product") else "amount"
    body = {"from_user": player.pk, "to_user": UserFactory().pk, shape: 1, field: value}
    before = snapshot()
    response = post_json(
        backend_client, "/api/v1/transfers", body, HTTP_IDEMPOTENCY_KEY=f"bad-{value!r}"[:255]
    )
    assert field in assert_error(response, 400, "validation_error")["details"]
    assert snapshot() == before


@pytest.mark.parametrize("route", MONEY_ROUTES)
def test_a_missing_amount_is_400(route, player, backend_client, unchanged):
    response = post_json(
        backend_client, f"/api/v1/users/{player.pk}/{route}", {}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert "amount" in assert_error(response, 400, "validation_error")["details"]


WRONG_CURRENCIES = [
    "doubloons",
    "COINS",
    "",
    "c" * 33,
    "coins; --",
    "old",
    7,
    True,
    ["coins"],
    None,
]


@pytest.mark.parametrize("currency", WRONG_CURRENCIES, ids=repr)
@pytest.mark.parametrize("route", MONEY_ROUTES)
def test_a_malformed_currency_is_400_an_unknown_or_inactive_one_409(
    route, currency, player, backend_client
):
    from tests.factories import CurrencyFactory

    CurrencyFactory(code="old", is_active=False)
    before = snapshot()
    response = post_json(
        backend_client,
        f"/api/v1/users/{player.pk}/{route}",
        {"amount": 5, "currency": currency},
        HTTP_IDEMPOTENCY_KEY=f"bad-currency-{currency!r}",
    )
    well_formed = isinstance(currency, str) and re.match(r"^[a-z][a-z0-9_-]{0,31}$", currency)
    if well_formed:  # the schema's rule holds: what it names is missing
        error = assert_error(response, 409, "currency_unavailable")
        assert error["details"] == {"currency": currency}
        # Nothing moved; the refusal is stored under its key, as every 409 is.
        before["idempotency_keys"] += 1
    else:
        error = assert_error(response, 400, "validation_error")
        assert "currency" in error["details"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "sink",
    ["sink:store" * 10, "store", "sink:", "faucet:grants", "sink:Crafting", "sink:a b", 5, None],
    ids=repr,
)
def test_spend_into_anything_but_a_sink_is_400(sink, player, backend_client, unchanged):
    response = post_json(
        backend_client,
        f"/api/v1/users/{player.pk}/spend",
        {"amount": 5, "sink": sink},
        HTTP_IDEMPOTENCY_KEY=f"bad-sink-{sink!r}",
    )
    assert "sink" in assert_error(response, 400, "validation_error")["details"]


@pytest.mark.parametrize(
    "reason",
    ["r" * 501, ["why"], {"a": 1}, None, 5, 1.5, "   ", "\t\n"],
    ids=lambda r: repr(r)[:20],
)
def test_a_wrong_spend_reason_is_400(reason, player, backend_client, unchanged):
    response = post_json(
        backend_client,
        f"/api/v1/users/{player.pk}/spend",
        {"amount": 5, "reason": reason},
        HTTP_IDEMPOTENCY_KEY=f"bad-reason-{reason!r}"[:255],
    )
    assert "reason" in assert_error(response, 400, "validation_error")["details"]


@pytest.mark.parametrize("user_id", [HUGE, -1, 0, "1", 1.5, None, True], ids=repr)
def test_a_wrong_user_id_in_a_purchase_is_refused(user_id, staff_client, product, unchanged):
    response = post_json(
        staff_client, f"/api/v1/products/{product.pk}/purchase", {"quantity": 1, "user_id": user_id}
    )
    # Out of range for a bigint is simply no such player; every other shape is invalid.
    status = 404 if user_id == HUGE else 400
    assert_error(response, status, "not_found" if status == 404 else "validation_error")


def test_a_permanent_bought_several_at_a_time_is_409(player_client, permanent, unchanged):
    response = post_json(
        player_client, f"/api/v1/products/{permanent.pk}/purchase", {"quantity": 2}
    )
    assert_error(response, 409, "quantity_not_allowed")


def test_a_deeply_nested_body_is_400_not_a_crash(player_client, product, unchanged):
    body = '{"quantity": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = post_json(player_client, f"/api/v1/products/{product.pk}/purchase", body)
    assert_error(response, 400, "validation_error")


def test_a_body_over_the_upload_limit_is_400(settings, player_client, product, unchanged):
    body = json.dumps({"quantity": 1, "padding": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    response = post_json(player_client, f"/api/v1/products/{product.pk}/purchase", body)
    assert_error(response, 400, "validation_error")


# --- idempotency keys -----------------------------------------------------------------------

BAD_KEYS = ["", "é", "ключ", "k" * 256, "a\tb", "a\nb", "\x7f", "emoji-🙂", " " * 0 + "\x00"]


@pytest.mark.parametrize("key", BAD_KEYS, ids=lambda key: repr(key)[:20])
@pytest.mark.parametrize("route", ["purchase", *MONEY_ROUTES])
def test_an_invalid_idempotency_key_is_400(
    route, key, player, player_client, backend_client, product, unchanged
):
    if route in MONEY_ROUTES:
        client, path, body = backend_client, f"/api/v1/users/{player.pk}/{route}", {"amount": 5}
    else:
        client, path, body = player_client, f"/api/v1/products/{product.pk}/purchase", {}
    # As a WSGI server hands header bytes over: decoded as latin-1 (PEP 3333).
    header = key.encode().decode("latin-1")
    response = post_json(client, path, body, HTTP_IDEMPOTENCY_KEY=header)
    assert_error(response, 400, "idempotency_key_invalid")


def test_a_key_of_255_printable_characters_is_accepted(player, player_client, product):
    key = "".join(chr(33 + i % 94) for i in range(255))  # printable, no space at the ends
    response = post_json(
        player_client, f"/api/v1/products/{product.pk}/purchase", {}, HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("route", MONEY_ROUTES)
def test_money_without_a_key_is_400(route, player, backend_client, unchanged):
    response = post_json(backend_client, f"/api/v1/users/{player.pk}/{route}", {"amount": 5})
    assert_error(response, 400, "idempotency_key_missing")


# --- ids in the URL -------------------------------------------------------------------------

UNKNOWN_PRODUCTS = ["424242", BEYOND_BIGINT, str(HUGE), "9223372036854775808", "0"]
NOT_INTEGERS = ["abc", "-1", "1.5", "1e3", "%20", "١٢", "0x10", "1;DROP TABLE"]


@pytest.mark.parametrize("product_id", UNKNOWN_PRODUCTS + NOT_INTEGERS)
@pytest.mark.parametrize("route", ["", "/purchase", "/use"])
def test_an_unknown_or_malformed_product_id_is_a_clean_404(
    route, product_id, player_client, unchanged
):
    path = f"/api/v1/products/{product_id}{route}"
    response = post_json(player_client, path, {"quantity": 1}) if route else player_client.get(path)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("user_id", ["424242", BEYOND_BIGINT, str(HUGE), "abc", "-1", "0"])
@pytest.mark.parametrize(
    "route", ["", "/inventory", "/transactions", "/transfers", "/add-funds", "/spend"]
)
def test_an_unknown_malformed_or_huge_user_id_is_a_clean_404(
    route, user_id, staff_client, unchanged
):
    # Staff may read any player's data: an id no player has is no such player, never an empty
    # inventory or ledger.
    path = f"/api/v1/users/{user_id}{route}"
    if route in ("/add-funds", "/spend"):
        response = post_json(staff_client, path, {"amount": 5}, HTTP_IDEMPOTENCY_KEY="k")
    else:
        response = staff_client.get(path)
    assert_error(response, 404, "not_found")


# --- query strings --------------------------------------------------------------------------

BAD_QUERIES = [
    ("/api/v1/products", "type=weapon", 400),
    ("/api/v1/products", f"page={BEYOND_BIGINT}", 400),
    ("/api/v1/products", "page=abc", 400),
    ("/api/v1/products", "page=-1", 400),
    ("/api/v1/products", "page=0", 400),
    ("/api/v1/products", "page=9999", 404),  # well formed, past the last page
    ("/api/v1/products", "type=", 400),
    ("/api/v1/users/{me}/transactions", "kind=gift", 400),
    ("/api/v1/users/{me}/transactions", "status=%00", 400),
    ("/api/v1/users/{me}/transactions", "cursor=not-a-cursor", 400),
    ("/api/v1/users/{me}/transactions", "cursor=%00%ff", 400),
    *[("/api/v1/users/{me}/transactions", f"cursor={cursor}", 400) for cursor in FORGED_CURSORS],
    ("/api/v1/users/{me}/transactions", "currency=%00", 400),
    ("/api/v1/users/{me}/transactions", "page_size=0", 400),
    ("/api/v1/users/{me}/transactions", "page_size=101", 400),
    ("/api/v1/users/{me}/transactions", f"page_size={BEYOND_BIGINT}", 400),
    *[("/api/v1/users/{me}/transfers", f"cursor={cursor}", 400) for cursor in FORGED_CURSORS],
    ("/api/v1/users/{me}/transfers", "page_size=0", 400),
    ("/api/v1/users/{me}/transfers", f"page_size={BEYOND_BIGINT}", 400),
    ("/api/v1/analytics/popular-products", f"days={BEYOND_BIGINT}", 400),
    ("/api/v1/analytics/popular-products", "limit=-5", 400),
    ("/api/v1/analytics/popular-products", "days=1.5", 400),
]


@pytest.mark.parametrize(("path", "query", "status"), BAD_QUERIES)
def test_a_bad_query_parameter_is_a_clean_4xx(path, query, status, player, player_client):
    response = player_client.get(f"{path.format(me=player.pk)}?{query}")
    error = assert_error(response, status)
    if "cursor=" in query:
        assert error["code"] == "validation_error"


def test_a_cursor_beyond_every_row_is_an_empty_page_not_a_500(player, player_client):
    cursor = "o.1." + "9" * 18
    response = player_client.get(f"/api/v1/users/{player.pk}/transactions?cursor={cursor}")
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []


@pytest.mark.parametrize("page_size", ["0", "-1", "101", BEYOND_BIGINT, "abc", "", "7.0"])
def test_a_page_size_outside_the_schema_bounds_is_400(page_size, player, player_client):
    response = player_client.get(f"/api/v1/products?page_size={page_size}")
    assert set(assert_error(response, 400, "validation_error")["details"]) == {"page_size"}


# --- login ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "x"},
        {"username": ["a"], "password": "b"},
        {"username": "a\x00b", "password": "b"},
        {"username": "u" * 10_000, "password": "p"},
        {"username": "u", "password": "p" * 10_000},
        {"username": 12, "password": "p"},
        {"username": "   ", "password": "p"},
    ],
    ids=[
        "empty",
        "no-password",
        "list",
        "nul",
        "long-username",
        "long-password",
        "number",
        "blank",
    ],
)
def test_a_malformed_login_is_400(body, api_client, unchanged):
    response = post_json(api_client, "/api/v1/auth/token", body)
    assert_error(response, 400, "validation_error")


def test_a_lone_surrogate_in_a_choice_is_a_clean_400(player, backend_client, unchanged):
    # DRF's own message repeats the value, which no UTF-8 response could then carry.
    response = post_json(
        backend_client,
        f"/api/v1/users/{player.pk}/holds",
        {"amount": 1, "on_expiry": "\ud800"},
        HTTP_IDEMPOTENCY_KEY="surrogate",
    )
    assert_error(response, 400, "validation_error")
    assert response.json()["error"]["details"] == {"on_expiry": ['Expected "void" or "capture".']}


# --- the schema's word ----------------------------------------------------------------------


# The longest reason the schema admits, then one space more: the length counts before trimming.
LONGEST, PADDED = "x" * 500, " " + "x" * 500
TEXT_VALUES = ["why", " why ", "   ", "\t", "", "a\x00b", 5, True, LONGEST, PADDED]


@pytest.mark.parametrize("value", TEXT_VALUES, ids=lambda value: repr(value)[:12])
@pytest.mark.parametrize(
    ("body", "field"),
    [("SpendRequestRequest", "reason"), ("SpendRequestRequest", "sink")],
)
def test_the_server_takes_a_string_exactly_when_the_schema_does(
    body, field, value, openapi_schema, player, backend_client
):
    """A client generated from the schema is refused only by rules the schema states."""
    import jsonschema

    properties = openapi_schema["components"]["schemas"][body]["properties"]
    admitted = jsonschema.Draft202012Validator(properties[field])
    before = snapshot()
    response = post_json(
        backend_client,
        f"/api/v1/users/{player.pk}/spend",
        {"amount": 5, field: value},
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    if admitted.is_valid(value):
        assert response.status_code == 201, response.content
    else:
        assert field in assert_error(response, 400, "validation_error")["details"]
        assert snapshot() == before
