"""POST /auth/token is rate limited per client IP."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


def login(client, password=PASSWORD, username="alice", **extra):
    return client.post(URL, {"username": username, "password": password}, format="json", **extra)


def test_login_attempts_over_the_rate_from_one_ip_get_429(limiter, api_client, alice):
    for _ in range(2):
        assert login(api_client, "wrong", REMOTE_ADDR="10.0.0.1").status_code == 401
    # Even the right password: guessing is slowed, whatever the outcome.
    response = login(api_client, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) >= 1


def test_another_ip_has_its_own_budget(limiter, api_client, alice):
    for _ in range(3):
        login(api_client, "wrong", REMOTE_ADDR="10.0.0.1")
    assert login(api_client, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_trying_other_usernames_does_not_reset_the_count(limiter, api_client, alice):
    login(api_client, "wrong", username="bob", REMOTE_ADDR="10.0.0.3")
    login(api_client, "wrong", username="carol", REMOTE_ADDR="10.0.0.3")
    assert login(api_client, REMOTE_ADDR="10.0.0.3").status_code == 429


def test_the_limit_resets_with_the_window(limiter, api_client, alice):
    for _ in range(2):
        login(api_client, "wrong", REMOTE_ADDR="10.0.0.4")
    retry_after = int(login(api_client, REMOTE_ADDR="10.0.0.4").headers["Retry-After"])
    limiter.advance(retry_after)
    assert login(api_client, REMOTE_ADDR="10.0.0.4").status_code == 200


def test_behind_a_proxy_the_client_address_it_forwarded_is_counted(
    limiter, settings, api_client, alice
):
    settings.ECONOMY_TRUSTED_PROXIES = 1
    proxy = {"REMOTE_ADDR": "172.18.0.5"}
    for _ in range(2):
        login(api_client, "wrong", HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    # A client cannot dodge the limit by prepending an address of its choosing.
    spoofed = login(api_client, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7", **proxy)
    assert spoofed.status_code == 429
    # Another client behind the same proxy is not affected.
    assert login(api_client, HTTP_X_FORWARDED_FOR="203.0.113.8", **proxy).status_code == 200


def test_a_garbage_forwarded_header_falls_back_to_the_peer_address(
    limiter, settings, api_client, alice
):
    settings.ECONOMY_TRUSTED_PROXIES = 1
    response = login(api_client, HTTP_X_FORWARDED_FOR="not-an-ip", REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 200
