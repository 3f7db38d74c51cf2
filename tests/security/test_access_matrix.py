"""Every user-scoped endpoint and method, as someone else, without a token and with a bad one:
403 (never data, nothing changed), 401, 401. A player signed in with the studio's JWT
(`jwt_player`, tests/support/studio.py) is held to the same rows as a token player."""

import pytest

from tests.factories import UserFactory
from tests.support.api import assert_error
from tests.support.ledger import balance_of, snapshot

pytestmark = pytest.mark.django_db

# (method, path template, body): {victim} is the other player's id, {friend} a third player's,
# {product} a product's.
USER_SCOPED = [
    ("get", "/api/v1/users/{victim}", None),
    ("get", "/api/v1/users/{victim}/inventory", None),
    ("get", "/api/v1/users/{victim}/transactions", None),
    ("get", "/api/v1/users/{victim}/transactions?kind=purchase", None),
    ("post", "/api/v1/users/{victim}/add-funds", {"amount": 100}),
    ("post", "/api/v1/users/{victim}/spend", {"amount": 100}),
    ("post", "/api/v1/products/{product}/purchase", {"quantity": 1, "user_id": "{victim}"}),
    ("get", "/api/v1/users/{victim}/transfers", None),
    ("post", "/api/v1/transfers", {"from_user": "{victim}", "to_user": "{friend}", "amount": 100}),
    (
        "post",
        "/api/v1/transfers",
        {"from_user": "{victim}", "to_user": "{friend}", "product": "{product}"},
    ),
]
ME = ("get", "/api/v1/users/me", None)
# Everything that needs a caller, for the 401 cases.
AUTHENTICATED = [
    *USER_SCOPED,
    ME,
    ("get", "/api/v1/currencies", None),
    ("get", "/api/v1/products", None),
    ("get", "/api/v1/products/{product}", None),
    ("post", "/api/v1/products/{product}/purchase", {"quantity": 1}),
    ("post", "/api/v1/products/{product}/use", {"quantity": 1}),
    ("get", "/api/v1/analytics/popular-products", None),
]


def _ids(case):
    return f"{case[0].upper()} {case[1]}"


BAD_TOKENS = [
    "Token 0000000000000000000000000000000000000000",
    "Token ",
    "Token",
    "Token a b",
    "Bearer {valid}",
    "Basic cGxheWVyOnBhc3N3b3Jk",
    "Token {valid}x",
    # Non-ASCII bytes as a WSGI server hands them over (decoded as latin-1, PEP 3333).
    "Token " + "ключ".encode().decode("latin-1"),
    "Token \x00\x01",
    "Token " + "a" * 5000,
]


@pytest.fixture
def victim(db, product):
    """Another player, with money, a holding and a ledger worth protecting."""
    from economy.inventory.services import purchase_product

    user = UserFactory(username="victim", email="victim@example.com", funds=777)
    purchase_product(user_id=user.pk, product_id=product.pk, quantity=2)
    return user


@pytest.fixture
def ids(victim, product):
    """The ids the paths and bodies name: the victim's, a friend's to send to, a product's."""
    friend = UserFactory(username="friend", email="friend@example.com")
    return {"victim": victim.pk, "friend": friend.pk, "product": product.pk}


@pytest.fixture
def content_manager(db):
    from django.contrib.auth.models import Permission

    from tests.factories import StaffFactory

    user = StaffFactory()
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="catalog"))
    return user


def _fill(value, **ids):
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if value in ("{victim}", "{friend}", "{product}") else filled
    if isinstance(value, dict):
        return {key: _fill(item, **ids) for key, item in value.items()}
    return value


def _client_of(actor, request, make_client):
    """The actor's API client: a Bearer JWT for the studio's player, a token for the rest."""
    if actor == "jwt_player":
        return request.getfixturevalue("jwt_player_client")
    return make_client(request.getfixturevalue(actor))


def _call(client, method, path, body, **headers):
    if body is None:
        return getattr(client, method)(path, **headers)
    return getattr(client, method)(path, body, format="json", **headers)


# A trusted backend (accounts.add_funds, not staff) reads no player's data either, except the
# transfers it settles; crediting, debiting, buying for a player and moving its currency or
# items is what it is for, so those are not in its rows. A content manager is staff (for the
# admin) with no permission over players: refused everything.
TRUSTED_READS = ("/transfers",)
OTHER_USER_CASES = [
    *[("player", case) for case in USER_SCOPED],
    *[("jwt_player", case) for case in USER_SCOPED],
    *[("content_manager", case) for case in USER_SCOPED],
    *[
        ("backend", case)
        for case in USER_SCOPED
        if case[0] == "get" and not case[1].endswith(TRUSTED_READS)
    ],
]
# Money moved by a trusted backend only: a player may not credit nor debit itself either.
MONEY_ROUTES = [case for case in USER_SCOPED if case[1].endswith(("/add-funds", "/spend"))]


@pytest.mark.parametrize(
    ("actor", "case"), OTHER_USER_CASES, ids=[f"{a}-{_ids(c)}" for a, c in OTHER_USER_CASES]
)
def test_another_users_data_is_403_and_leaks_nothing(
    case, actor, request, make_client, victim, ids
):
    method, path, body = case
    client = _client_of(actor, request, make_client)
    before = snapshot()
    response = _call(
        client,
        method,
        _fill(path, **ids),
        _fill(body, **ids),
        HTTP_IDEMPOTENCY_KEY="matrix-1",
    )
    assert response.status_code in (403, 404)
    assert_error(response, response.status_code)
    text = response.content.decode()
    assert "victim" not in text and "777" not in text and str(balance_of(victim)) not in text
    assert snapshot() == before


PLAYERS = ["player", "jwt_player"]


@pytest.mark.parametrize("actor", PLAYERS)
@pytest.mark.parametrize("case", MONEY_ROUTES, ids=_ids)
def test_a_player_may_not_credit_or_debit_even_itself(case, actor, request, make_client, product):
    method, path, body = case
    me = request.getfixturevalue(actor)
    client = _client_of(actor, request, make_client)
    before = snapshot()
    response = _call(
        client,
        method,
        _fill(path, victim=me.pk),
        body,
        HTTP_IDEMPOTENCY_KEY="self-1",
    )
    assert_error(response, 403, "permission_denied")
    assert snapshot() == before


@pytest.mark.parametrize("case", MONEY_ROUTES, ids=_ids)
def test_a_trusted_backend_credits_and_debits_any_player(case, backend, backend_client, victim):
    method, path, body = case
    before = balance_of(victim)
    response = _call(
        backend_client,
        method,
        _fill(path, victim=victim.pk),
        body,
        HTTP_IDEMPOTENCY_KEY="backend-1",
    )
    assert response.status_code == 201, response.content
    change = 100 if path.endswith("/add-funds") else -100
    assert response.json()["balance"] == balance_of(victim) == before + change
    assert response.json()["transaction"]["amount"] == 100


@pytest.mark.parametrize("actor", ["player", "jwt_player", "content_manager", "backend", "staff"])
def test_any_authenticated_caller_lists_the_currencies(actor, request, make_client):
    response = _client_of(actor, request, make_client).get("/api/v1/currencies")
    assert response.status_code == 200, response.content
    assert [currency["code"] for currency in response.json()] == ["coins"]


@pytest.mark.parametrize("case", AUTHENTICATED, ids=_ids)
def test_no_token_is_401(case, api_client, ids):
    method, path, body = case
    before = snapshot()
    response = _call(api_client, method, _fill(path, **ids), _fill(body, **ids))
    assert_error(response, 401, "not_authenticated")
    assert snapshot() == before


@pytest.mark.parametrize("case", AUTHENTICATED, ids=_ids)
def test_an_unknown_token_is_401(case, api_client, ids):
    _assert_token_refused(case, BAD_TOKENS[0], api_client, ids)


@pytest.mark.parametrize("token", BAD_TOKENS)
@pytest.mark.parametrize(
    "case",
    [USER_SCOPED[0], USER_SCOPED[4], USER_SCOPED[5], ME],
    ids=_ids,
)
def test_a_malformed_token_is_401(case, token, api_client, player, ids):
    from rest_framework.authtoken.models import Token

    valid = Token.objects.get_or_create(user=player)[0].key
    _assert_token_refused(case, token.format(valid=valid), api_client, ids)


def _assert_token_refused(case, header, api_client, ids):
    method, path, body = case
    before = snapshot()
    api_client.credentials(HTTP_AUTHORIZATION=header)
    response = _call(api_client, method, _fill(path, **ids), _fill(body, **ids))
    assert_error(response, 401, "not_authenticated")
    assert snapshot() == before


@pytest.mark.parametrize("actor", PLAYERS)
def test_a_player_reads_its_own_data(actor, request, make_client):
    """The other side of the matrix: the same routes work for the owner."""
    me = request.getfixturevalue(actor)
    client = _client_of(actor, request, make_client)
    for path in ("", "/inventory", "/transactions", "/transfers"):
        assert client.get(f"/api/v1/users/{me.pk}{path}").status_code == 200
    assert client.get("/api/v1/users/me").json()["balance"] == 1000


def _bad_studio_tokens():
    from tests.support.studio import AUDIENCE, ISSUER, SECRET, studio_token

    other_secret = "not-the-studios-secret-but-long-enough-for-hs256"
    return {
        "wrong-signature": studio_token(other_secret, sub="jwt-player"),
        "expired": studio_token(SECRET, sub="jwt-player", expires_in=-3600),
        "wrong-audience": studio_token(SECRET, sub="jwt-player", aud=AUDIENCE + "-other"),
        "wrong-issuer": studio_token(SECRET, sub="jwt-player", iss=ISSUER + ".evil"),
        "truncated": studio_token(SECRET, sub="jwt-player")[:-10],
    }


@pytest.mark.parametrize("flaw", list(_bad_studio_tokens()))
@pytest.mark.parametrize("case", [USER_SCOPED[0], USER_SCOPED[4], ME], ids=_ids)
def test_a_bad_studio_token_is_401(case, flaw, jwt_player, api_client, ids):
    """With JWT sign-in configured, a token the studio did not sign for this service, now."""
    _assert_token_refused(case, f"Bearer {_bad_studio_tokens()[flaw]}", api_client, ids)


def test_staff_read_anyones_data(staff_client, victim):
    for path in ("", "/inventory", "/transactions", "/transfers"):
        response = staff_client.get(f"/api/v1/users/{victim.pk}{path}")
        assert response.status_code == 200, response.content


def test_a_trusted_backend_reads_the_transfers_it_settles(backend_client, victim):
    response = backend_client.get(f"/api/v1/users/{victim.pk}/transfers")
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    "body",
    [{"amount": 100}, {"product": "{product}"}],
    ids=["currency", "items"],
)
def test_a_trusted_backend_moves_a_players_currency_and_items(body, backend_client, victim, ids):
    """The other side of the matrix: what a player is refused, a trusted backend may do."""
    body = {"from_user": victim.pk, "to_user": ids["friend"], **_fill(body, **ids)}
    response = _call(backend_client, "post", "/api/v1/transfers", body, HTTP_IDEMPOTENCY_KEY="t-1")
    assert response.status_code == 201, response.content
    assert response.json()["transfer"]["from_user"] == victim.pk
