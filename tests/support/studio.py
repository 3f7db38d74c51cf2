"""The studio's identity provider, as the tests play it: RSA keys made here, a JWKS served over
HTTP from a local thread, and tokens signed the way the studio signs them.

Loaded as a pytest plugin (tests/conftest.py), so its fixtures are everywhere.
"""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from rest_framework.test import APIClient

ISSUER = "https://id.studio.example"
AUDIENCE = "economy-service"
SECRET = "a-shared-secret-of-the-studio-at-least-32-bytes"


@dataclass
class SigningKey:
    kid: str
    private_key: Any

    @property
    def jwk(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "use": "sig", "alg": "RS256"}


def new_key(kid: str) -> SigningKey:
    return SigningKey(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))


class JwksServer:
    """A JWKS endpoint on 127.0.0.1 and a free port; `hits` counts the fetches."""

    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.hits = 0
        self.status = 200
        self.delay = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits += 1
                time.sleep(server.delay)
                body = json.dumps({"keys": [key.jwk for key in server.keys]}).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, *keys: SigningKey) -> None:
        self.keys = list(keys)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def studio_token(
    key: SigningKey | str,
    *,
    sub: Any = "player-1",
    iss: str = ISSUER,
    aud: str = AUDIENCE,
    expires_in: float = 300,
    kid: str | None = None,
    omit: tuple[str, ...] = (),
    **claims: Any,
) -> str:
    """A token as the studio issues it: RS256 with a JWKS key, or HS256 with a secret."""
    now = int(time.time())
    payload = {"sub": sub, "iss": iss, "aud": aud, "iat": now, "exp": now + expires_in, **claims}
    for name in omit:
        payload.pop(name)
    if isinstance(key, str):
        return jwt.encode(payload, key, algorithm="HS256")
    return jwt.encode(
        payload,
        key.private_key,
        algorithm="RS256",
        headers={"kid": kid if kid is not None else key.kid},
    )


def bearer_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def signing_key():
    return new_key("key-2026-1")


@pytest.fixture
def jwks(settings, signing_key):
    """The service configured for a studio with a JWKS URL, serving one key."""
    server = JwksServer(signing_key)
    settings.ECONOMY_JWT_JWKS_URL = server.url
    settings.ECONOMY_JWT_SECRET = ""
    settings.ECONOMY_JWT_ALGORITHMS = ["RS256"]
    settings.ECONOMY_JWT_ISSUER = ISSUER
    settings.ECONOMY_JWT_AUDIENCE = AUDIENCE
    settings.ECONOMY_JWT_LEEWAY_SECONDS = 30
    settings.ECONOMY_JWT_JWKS_COOLDOWN_SECONDS = 60
    settings.ECONOMY_JWT_JWKS_TIMEOUT_SECONDS = 2
    yield server
    server.close()


@pytest.fixture
def studio_secret(settings):
    """The service configured for a studio that signs with a shared secret."""
    settings.ECONOMY_JWT_JWKS_URL = ""
    settings.ECONOMY_JWT_SECRET = SECRET
    settings.ECONOMY_JWT_ALGORITHMS = ["HS256"]
    settings.ECONOMY_JWT_ISSUER = ISSUER
    settings.ECONOMY_JWT_AUDIENCE = AUDIENCE
    settings.ECONOMY_JWT_LEEWAY_SECONDS = 30
    return SECRET


@pytest.fixture
def jwt_player(db, studio_secret):
    """A player known by the studio's subject, with money like the token `player`."""
    from django.conf import settings

    from economy.accounts.services import player_for_identity
    from economy.ledger import services as ledger
    from tests.factories import default_currency

    user, _ = player_for_identity(provider=settings.ECONOMY_JWT_PROVIDER, subject="jwt-player")
    ledger.adjust_balance(
        user_id=user.pk, amount=1000, currency=default_currency(), reason="test funds"
    )
    return user


@pytest.fixture
def jwt_player_client(jwt_player):
    return bearer_client(studio_token(SECRET, sub="jwt-player"))
