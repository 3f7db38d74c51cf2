"""Writes of the accounts app: players from external identities, and API tokens."""

import hashlib
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.authtoken.models import Token

from .models import ExternalIdentity, User

# A username clashing with one a person chose is skipped for the next candidate.
_USERNAME_CANDIDATES = 5


def _usernames(provider: str, subject: str) -> Iterator[str]:
    # Deterministic: the same identity always asks for the same name first.
    digest = hashlib.sha256(f"{provider}\x00{subject}".encode()).hexdigest()[:20]
    base = f"{provider}-{digest}"
    yield base
    for n in range(2, _USERNAME_CANDIDATES + 1):
        yield f"{base}-{n}"


def _identity(provider: str, subject: str) -> ExternalIdentity | None:
    return (
        ExternalIdentity.objects.select_related("user")
        .filter(provider=provider, subject=subject)
        .first()
    )


def player_for_identity(*, provider: str, subject: str) -> tuple[User, bool]:
    """The player an external identity maps to, and whether it was created just now.

    On first sight the player is created (no usable password, a username derived from the
    identity) with its ExternalIdentity in one transaction. Two first requests at once create
    one player: the second insert waits on the first's unique username, fails once it commits,
    and the loser reads the winner's identity.
    """
    identity = _identity(provider, subject)
    if identity is not None:
        return identity.user, False
    for username in _usernames(provider, subject):
        try:
            with transaction.atomic():
                user = User(username=username)
                user.set_unusable_password()
                user.save()
                ExternalIdentity.objects.create(user=user, provider=provider, subject=subject)
            return user, True
        except IntegrityError:
            identity = _identity(provider, subject)
            if identity is not None:
                return identity.user, False
    raise IntegrityError(f"No free username for the identity {provider}:{subject}.")


def issue_token(*, user: User, ttl: timedelta | None) -> tuple[AuthToken, str]:
    """A new API token for the user, expiring after `ttl` (None: never). Only its digest is
    stored; the key is returned once, here."""
    return AuthToken.objects.create(user=user, expiry=ttl)


def player_token_ttl() -> timedelta:
    return timedelta(hours=settings.ECONOMY_TOKEN_TTL_HOURS)


def service_token_ttl() -> timedelta | None:
    days = settings.ECONOMY_SERVICE_TOKEN_TTL_DAYS
    return timedelta(days=days) if days else None


def revoke_token(*, token: Model | None) -> bool:
    """Delete the token a request came with (a hashed token or a legacy key); whether there
    was one. The token cache forgets it on commit (authentication.connect_signals)."""
    if isinstance(token, AuthToken):
        deleted, _ = AuthToken.objects.filter(digest=token.digest).delete()
    elif isinstance(token, Token):
        deleted, _ = Token.objects.filter(key=token.key).delete()
    else:
        return False
    return bool(deleted)


@transaction.atomic
def revoke_all_tokens(*, user: User) -> int:
    """Delete every API token of the user, legacy key included; how many there were."""
    hashed, _ = AuthToken.objects.filter(user=user).delete()
    legacy, _ = Token.objects.filter(user=user).delete()
    return hashed + legacy


def purge_expired_tokens(*, batch_size: int = 1000) -> int:
    """Delete the API tokens whose expiry has passed; return how many. In batches, each its
    own short statement; a second run finds nothing. An expired token is refused anyway: this
    only keeps the table from growing with every login."""
    expired = AuthToken.objects.filter(expiry__lte=timezone.now()).order_by("expiry")
    deleted = 0
    while True:
        batch = list(expired.values_list("pk", flat=True)[:batch_size])
        if not batch:
            return deleted
        count, _ = AuthToken.objects.filter(pk__in=batch).delete()
        deleted += count


@transaction.atomic
def revoke_legacy_tokens(*, user: User | None = None) -> int:
    """Delete DRF authtoken keys (every one, or the user's); how many. The token cache
    forgets each on commit."""
    keys = Token.objects.all() if user is None else Token.objects.filter(user=user)
    deleted, _ = keys.delete()
    return deleted
