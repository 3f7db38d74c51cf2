"""`Authorization: Bearer <JWT>` from the studio's identity provider: verified against a real
JWKS served over HTTP (or a shared secret), its subject a player created on first sight."""

import hashlib
import hmac
import json
import re
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from economy.accounts.models import ExternalIdentity, User
from tests.support.api import assert_error
from tests.support.studio import (
    AUDIENCE,
    ISSUER,
    SECRET,
    JwksServer,
    bearer_client,
    new_key,
    studio_token,
)

pytestmark = pytest.mark.django_db


def me(token):
    return bearer_client(token).get("/api/v1/users/me")


def test_a_studio_token_signs_a_new_player_in_on_first_sight(jwks, signing_key):
    response = me(studio_token(signing_key, sub="steam:7656119"))
    assert response.status_code == 200, response.content
    identity = ExternalIdentity.objects.get(provider="studio", subject="steam:7656119")
    assert response.json()["id"] == identity.user_id
    user = identity.user
    assert user.username.startswith("studio-") and not user.has_usable_password()
    assert not user.is_staff and not user.user_permissions.exists()


def test_the_same_subject_is_the_same_player_every_time(jwks, signing_key):
    first = me(studio_token(signing_key, sub="alice")).json()
    again = me(studio_token(signing_key, sub="alice")).json()
    other = me(studio_token(signing_key, sub="bob")).json()
    assert first["id"] == again["id"] != other["id"]
    assert first["username"] == again["username"] != other["username"]
    assert ExternalIdentity.objects.count() == User.objects.count() == 2


def test_the_username_is_derived_from_the_identity_and_survives_a_clash(jwks, signing_key):
    from economy.accounts.services import _usernames

    first, second = list(_usernames("studio", "carol"))[:2]
    User.objects.create(username=first)  # a person took the name the identity asks for first
    body = me(studio_token(signing_key, sub="carol")).json()
    assert body["username"] == second
    assert ExternalIdentity.objects.get(subject="carol").user_id == body["id"]


def test_the_provider_name_comes_from_the_settings(jwks, signing_key, settings):
    settings.ECONOMY_JWT_PROVIDER = "acme-id"
    assert me(studio_token(signing_key, sub="dave")).status_code == 200
    assert ExternalIdentity.objects.filter(provider="acme-id", subject="dave").exists()


def _refused(token, *, status=401, code="not_authenticated"):
    before = User.objects.count()
    response = me(token)
    assert_error(response, status, code)
    assert User.objects.count() == before
    return response


def test_a_token_for_another_audience_is_refused(jwks, signing_key):
    _refused(studio_token(signing_key, aud="another-game"))


def test_a_token_from_another_issuer_is_refused(jwks, signing_key):
    _refused(studio_token(signing_key, iss="https://evil.example"))


def test_an_expired_token_is_refused(jwks, signing_key):
    _refused(studio_token(signing_key, expires_in=-31))


def test_a_token_expired_within_the_clock_skew_is_accepted(jwks, signing_key):
    assert me(studio_token(signing_key, expires_in=-5)).status_code == 200


def test_a_token_not_valid_yet_is_refused(jwks, signing_key):
    _refused(studio_token(signing_key, nbf=int(time.time()) + 120))


def test_a_token_signed_by_another_key_with_a_known_kid_is_refused(jwks, signing_key):
    forger = new_key(signing_key.kid)
    _refused(studio_token(forger))


def test_a_tampered_token_is_refused(jwks, signing_key):
    header, payload, signature = studio_token(signing_key, sub="eve").split(".")
    other_payload = studio_token(signing_key, sub="admin").split(".")[1]
    _refused(f"{header}.{other_payload}.{signature}")
    _refused(f"{header}.{payload}.{signature[:-4]}AAAA")


@pytest.mark.parametrize("claim", ["exp", "sub", "iss", "aud"])
def test_a_token_without_a_required_claim_is_refused(jwks, signing_key, claim):
    _refused(studio_token(signing_key, omit=(claim,)))


@pytest.mark.parametrize("sub", ["", "x" * 256, 12345, "nul\x00byte", "lone\ud800surrogate", None])
def test_a_subject_that_cannot_be_a_player_is_refused(jwks, signing_key, sub):
    _refused(studio_token(signing_key, sub=sub))


def test_an_unsigned_token_is_refused(jwks):
    token = jwt.encode({"sub": "x", "iss": ISSUER, "aud": AUDIENCE, "exp": 2**31}, None, "none")
    _refused(token)


def test_an_hmac_token_signed_with_the_public_key_is_refused(jwks, signing_key):
    """The algorithm confusion attack: the public key used as an HMAC secret."""
    public_pem = signing_key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    payload = {"sub": "x", "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60}
    header = {"kid": signing_key.kid, "alg": "HS256"}
    # Signed by hand: PyJWT itself refuses a PEM public key as an HMAC secret.
    message = (
        jwt.utils.base64url_encode(json.dumps(header).encode())
        + b"."
        + jwt.utils.base64url_encode(json.dumps(payload).encode())
    )
    signature = jwt.utils.base64url_encode(hmac.new(public_pem, message, hashlib.sha256).digest())
    _refused((message + b"." + signature).decode())


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ",
        "Bearer",
        "Bearer a b",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Bearer eyJhbGciOiJSUzI1NiJ9.e30.",
        "Bearer \x00\x01",
        "Bearer " + "ключ".encode().decode("latin-1"),
        "Bearer " + "a" * 10000,
        "Bearer " + "eyJ" + "A" * 9000 + ".e30.sig",
    ],
)
def test_a_malformed_bearer_header_is_401(jwks, api_client, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    assert_error(api_client.get("/api/v1/users/me"), 401, "not_authenticated")
    assert User.objects.count() == 0


def test_a_deactivated_player_is_refused(jwks, signing_key):
    assert me(studio_token(signing_key, sub="frank")).status_code == 200
    User.objects.filter(external_identities__subject="frank").update(is_active=False)
    _refused(studio_token(signing_key, sub="frank"))


def test_a_rotated_key_is_fetched_once_and_accepted(jwks, signing_key, settings):
    settings.ECONOMY_JWT_JWKS_COOLDOWN_SECONDS = 0.5
    assert me(studio_token(signing_key, sub="gina")).status_code == 200
    assert jwks.hits == 1
    rotated = new_key("key-2026-2")
    jwks.publish(rotated)  # the old key retired, the new one signs from now on
    time.sleep(0.6)
    assert me(studio_token(rotated, sub="gina")).status_code == 200
    assert jwks.hits == 2
    # The new set is cached: no fetch per request, and the retired key no longer works.
    assert me(studio_token(rotated, sub="gina")).status_code == 200
    assert jwks.hits == 2
    _refused(studio_token(signing_key, sub="gina"))
    assert jwks.hits == 2


def test_unknown_key_ids_cannot_hammer_the_jwks_url(jwks, signing_key):
    assert me(studio_token(signing_key)).status_code == 200
    for n in range(20):
        _refused(studio_token(new_key(f"forged-{n}")))
    # Within the cooldown no unknown kid triggers a fetch.
    assert jwks.hits == 1


def test_the_key_set_is_cached_between_requests(jwks, signing_key):
    for _ in range(5):
        assert me(studio_token(signing_key)).status_code == 200
    assert jwks.hits == 1


def test_jwks_down_with_no_keys_yet_is_503(jwks, signing_key):
    jwks.close()
    response = _refused(studio_token(signing_key), status=503, code="unavailable")
    assert "identity provider" in response.json()["error"]["message"]


def test_jwks_too_slow_to_answer_is_503(jwks, signing_key, settings):
    settings.ECONOMY_JWT_JWKS_TIMEOUT_SECONDS = 0.3
    jwks.delay = 1
    _refused(studio_token(signing_key), status=503, code="unavailable")


def test_a_token_naming_no_key_id_is_refused(jwks, signing_key):
    payload = {"sub": "x", "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60}
    _refused(jwt.encode(payload, signing_key.private_key, algorithm="RS256"))


def test_jwks_answering_an_error_is_503(jwks, signing_key):
    jwks.status = 500
    _refused(studio_token(signing_key), status=503, code="unavailable")


def test_jwks_down_after_keys_were_fetched_keeps_signing_players_in(jwks, signing_key):
    assert me(studio_token(signing_key)).status_code == 200
    jwks.close()
    assert me(studio_token(signing_key, sub="henry")).status_code == 200


def test_a_shared_secret_studio_signs_players_in(studio_secret):
    assert me(studio_token(SECRET, sub="ivy")).status_code == 200
    assert ExternalIdentity.objects.filter(subject="ivy").exists()
    _refused(studio_token("another-secret-that-is-also-long-enough-32", sub="ivy"))


def test_with_nothing_configured_a_bearer_token_is_not_a_credential(signing_key, api_client):
    server = JwksServer(signing_key)
    try:
        _refused(studio_token(signing_key))
        assert server.hits == 0
    finally:
        server.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_requests_of_one_subject_create_one_player(studio_secret):
    from tests.support.concurrency import run_concurrently

    token = studio_token(SECRET, sub="rush")

    def first_request():
        response = me(token)
        return response.status_code, response.json().get("id")

    results = run_concurrently(first_request, [()] * 6)
    assert {status for status, _ in results} == {200}, results
    assert len({user_id for _, user_id in results}) == 1
    assert ExternalIdentity.objects.filter(subject="rush").count() == 1
    assert User.objects.filter(external_identities__subject="rush").count() == 1
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"jwks_url": "https://id.example/jwks", "secret": "s" * 32}, "not both"),
        ({"jwks_url": "file:///etc/passwd"}, "http(s) URL"),
        ({"secret": "s" * 32, "issuer": ""}, "ECONOMY_JWT_ISSUER"),
        ({"secret": "s" * 32, "audience": ""}, "ECONOMY_JWT_AUDIENCE"),
        ({"jwks_url": "https://id.example/jwks", "algorithms": ["HS256"]}, "ALGORITHMS"),
        ({"secret": "s" * 32, "algorithms": ["RS256"]}, "ALGORITHMS"),
        ({"secret": "s" * 32, "algorithms": ["none"]}, "ALGORITHMS"),
        ({"secret": "s" * 32, "algorithms": []}, "ALGORITHMS"),
    ],
)
def test_a_configuration_that_would_accept_the_wrong_tokens_refuses_to_start(config, message):
    from django.core.exceptions import ImproperlyConfigured

    from economy.accounts.identity import check_jwt_settings

    settings = {
        "jwks_url": "",
        "secret": "",
        "algorithms": ["HS256"] if config.get("secret") else ["RS256"],
        "issuer": ISSUER,
        "audience": AUDIENCE,
        **config,
    }
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        check_jwt_settings(**settings)


def test_a_sound_configuration_starts():
    from economy.accounts.identity import check_jwt_settings

    check_jwt_settings(
        jwks_url="https://id.example/jwks",
        secret="",
        algorithms=["RS256", "ES256"],
        issuer=ISSUER,
        audience=AUDIENCE,
    )
