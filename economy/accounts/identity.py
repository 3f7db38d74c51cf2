"""The studio's signed tokens: verifying a JWT from its identity provider (docs/identity.md).

A token is verified against the provider's JWKS (`ECONOMY_JWT_JWKS_URL`, an asymmetric
signature, the key picked by the token's `kid`) or a shared secret (`ECONOMY_JWT_SECRET`, HMAC),
then its issuer, audience and expiry are checked with `ECONOMY_JWT_LEEWAY_SECONDS` of clock
skew. Nothing here touches the database: settings import `check_jwt_settings` at start.
"""

import functools
from collections.abc import Sequence
from typing import Any

import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
REQUIRED_CLAIMS = ("exp", "iss", "aud", "sub")
# Longer than any real identity token; a bigger header is refused before it is parsed.
MAX_TOKEN_LENGTH = 8192
MAX_SUBJECT_LENGTH = 255  # ExternalIdentity.subject


class InvalidStudioToken(Exception):
    """The token is not one the studio signed for this service, or no longer valid."""


class IdentityProviderUnavailable(Exception):
    """The provider's key set could not be fetched: the token cannot be checked now."""


def check_jwt_settings(
    *, jwks_url: str, secret: str, algorithms: Sequence[str], issuer: str, audience: str
) -> None:
    """Refuse to start on a JWT configuration that would accept tokens it should not."""
    if jwks_url and secret:
        raise ImproperlyConfigured("Set ECONOMY_JWT_JWKS_URL or ECONOMY_JWT_SECRET, not both.")
    if jwks_url and not jwks_url.startswith(("https://", "http://")):
        raise ImproperlyConfigured("ECONOMY_JWT_JWKS_URL must be an http(s) URL.")
    if not issuer or not audience:
        raise ImproperlyConfigured("JWT sign-in needs ECONOMY_JWT_ISSUER and ECONOMY_JWT_AUDIENCE.")
    allowed = HMAC_ALGORITHMS if secret else ASYMMETRIC_ALGORITHMS
    # An HMAC algorithm beside a public key would let anyone sign with the public key.
    if not algorithms or not set(algorithms) <= allowed:
        raise ImproperlyConfigured(
            f"ECONOMY_JWT_ALGORITHMS must be among {sorted(allowed)} with "
            f"{'ECONOMY_JWT_SECRET' if secret else 'ECONOMY_JWT_JWKS_URL'}."
        )


def jwt_enabled() -> bool:
    return bool(settings.ECONOMY_JWT_JWKS_URL or settings.ECONOMY_JWT_SECRET)


@functools.cache
def _jwks_client(url: str, lifespan: float, cooldown: float, timeout: float) -> jwt.PyJWKClient:
    # One client per process and configuration: it keeps the key set between requests.
    return jwt.PyJWKClient(
        url, cache_jwk_set=True, lifespan=lifespan, cooldown_duration=cooldown, timeout=timeout
    )


def _verification_key(token: str) -> Any:
    if settings.ECONOMY_JWT_SECRET:
        return settings.ECONOMY_JWT_SECRET
    client = _jwks_client(
        settings.ECONOMY_JWT_JWKS_URL,
        settings.ECONOMY_JWT_JWKS_CACHE_SECONDS,
        settings.ECONOMY_JWT_JWKS_COOLDOWN_SECONDS,
        settings.ECONOMY_JWT_JWKS_TIMEOUT_SECONDS,
    )
    try:
        # An unknown kid refetches the set once, unless the client fetched it within the
        # cooldown: then the token is refused.
        return client.get_signing_key_from_jwt(token).key
    except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError) as exc:
        raise IdentityProviderUnavailable(str(exc)) from exc


def verified_claims(token: str) -> dict[str, Any]:
    """The claims of a token the studio signed for this service, still valid; its `sub` a
    non-empty string that fits an ExternalIdentity."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidStudioToken("The token is too long.")
    try:
        claims = jwt.decode(
            token,
            _verification_key(token),
            algorithms=list(settings.ECONOMY_JWT_ALGORITHMS),
            issuer=settings.ECONOMY_JWT_ISSUER,
            audience=settings.ECONOMY_JWT_AUDIENCE,
            leeway=settings.ECONOMY_JWT_LEEWAY_SECONDS,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.PyJWTError as exc:
        raise InvalidStudioToken(str(exc)) from exc
    subject = claims["sub"]
    if not isinstance(subject, str) or not 0 < len(subject) <= MAX_SUBJECT_LENGTH:
        raise InvalidStudioToken("The subject must be a string of 1 to 255 characters.")
    if "\x00" in subject:
        raise InvalidStudioToken("The subject may not contain NUL characters.")
    try:
        subject.encode()  # JSON can carry a lone surrogate, which no database column stores
    except UnicodeEncodeError:
        raise InvalidStudioToken("The subject must be valid Unicode text.") from None
    return claims
