"""Token authentication with the token's user kept in the cache.

DRF looks a token up with a join on every request; on the hot read paths that lookup was most
of the work. Here the lookup result (who the user is, whether active, which permissions) is
cached for ECONOMY_AUTH_CACHE_TTL seconds under a hash of the token. The entry is dropped at
once, on commit, when the token is deleted, the user saved (deactivated, made staff), or a
permission reaching the user changes (its own permissions, its groups, a group's permissions,
a group or a permission deleted), whoever does it.

The cached user carries no balance: views that show a balance read it from the database.
Its permissions are loaded once per entry (one query) and answered by CachedPermissionsBackend,
so `has_perm` on a cached user costs no query.

Two kinds of key come with `Token`: hashed tokens (django-rest-knox's AuthToken: only a digest
is stored, each with an expiry, 64 characters) and legacy keys from DRF's authtoken table (40
characters, stored in clear) until they are rotated (docs/identity.md). The length decides
which table is asked, so a key costs one lookup. A hashed token's entry is keyed by its digest
(what a deleted row still knows) and carries its expiry: an expired token is refused at once.

`Bearer <JWT>` is the studio's signed token (JWTAuthentication, economy/accounts/identity.py).
"""

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token
from rest_framework.request import Request

from economy.accounts import identity
from economy.accounts.models import ApiToken, User
from economy.accounts.services import player_for_identity
from economy.common import cache as safe_cache
from economy.common.exceptions import ServiceUnavailable

_USER_FIELDS = ("id", "username", "email", "is_active", "is_staff", "is_superuser")


def _cache_key(key: str) -> str:
    # The key itself never goes to Redis: a dump of the cache gives no usable token.
    # v2: entries carry the permissions; v1 entries (fields only) are never read.
    return "auth:token:v2:" + hashlib.sha256(key.encode()).hexdigest()


def _hashed_cache_key(digest: str) -> str:
    return "auth:knox:v1:" + digest


def _permissions_of(user: User) -> set[str]:
    """What ModelBackend.get_all_permissions() gives, in one query instead of two."""
    rows = (
        Permission.objects.filter(Q(user=user) | Q(group__user=user))
        .order_by()
        .values_list("content_type__app_label", "codename")
        .distinct()
    )
    return {f"{app_label}.{codename}" for app_label, codename in rows}


def _snapshot(user: User, expiry: datetime | None = None) -> dict[str, Any]:
    return {
        "fields": {name: getattr(user, name) for name in _USER_FIELDS},
        "permissions": _permissions_of(user),
        "expiry": expiry,
    }


def _expired(expiry: datetime | None) -> bool:
    return expiry is not None and expiry <= timezone.now()


def _cache_ttl(expiry: datetime | None) -> float:
    if expiry is None:
        return settings.ECONOMY_AUTH_CACHE_TTL
    return min(settings.ECONOMY_AUTH_CACHE_TTL, (expiry - timezone.now()).total_seconds())


def _user_from(snapshot: dict[str, Any]) -> User:
    user = User(**snapshot["fields"])
    user._state.adding = False
    user.cached_permissions = snapshot["permissions"]
    return user


# DRF's authtoken keys; knox's tokens are 64 characters.
LEGACY_KEY_LENGTH = 40


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`: DRF's scheme, for hashed tokens and legacy keys alike,
    with the lookup cached (see module doc)."""

    def authenticate_credentials(self, key: str) -> tuple[User, Token | AuthToken]:
        # PostgreSQL cannot compare a NUL byte: refuse it here as a bad token (401), not 503.
        if "\x00" in key:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if len(key) == LEGACY_KEY_LENGTH:
            return self._legacy_credentials(key)
        return self._hashed_credentials(key)

    def _legacy_credentials(self, key: str) -> tuple[User, Token]:
        cache_key = _cache_key(key)
        snapshot = safe_cache.safe_get(cache_key)
        if snapshot is None:
            user, token = super().authenticate_credentials(key)
            snapshot = _snapshot(user)
            safe_cache.safe_set(cache_key, snapshot, settings.ECONOMY_AUTH_CACHE_TTL)
            user.cached_permissions = snapshot["permissions"]
            return user, token
        user = _user_from(snapshot)
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user, Token(key=key, user=user)

    def _hashed_credentials(self, key: str) -> tuple[User, AuthToken]:
        digest = hash_token(key)
        cache_key = _hashed_cache_key(digest)
        snapshot = safe_cache.safe_get(cache_key)
        if snapshot is None:
            token = AuthToken.objects.select_related("user").filter(digest=digest).first()
            if token is None:
                raise exceptions.AuthenticationFailed("Invalid token.")
            if _expired(token.expiry):
                token.delete()
                raise exceptions.AuthenticationFailed("Token expired.")
            if not token.user.is_active:
                raise exceptions.AuthenticationFailed("User inactive or deleted.")
            snapshot = _snapshot(token.user, token.expiry)
            safe_cache.safe_set(cache_key, snapshot, _cache_ttl(token.expiry))
            token.user.cached_permissions = snapshot["permissions"]
            return token.user, token
        if _expired(snapshot["expiry"]):
            raise exceptions.AuthenticationFailed("Token expired.")
        user = _user_from(snapshot)
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user, AuthToken(digest=digest, user=user, expiry=snapshot["expiry"])


class JWTAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <JWT>` signed by the studio's identity provider: its subject is a
    player under ECONOMY_JWT_PROVIDER, created on first sight. Off (the header is ignored)
    while neither ECONOMY_JWT_JWKS_URL nor ECONOMY_JWT_SECRET is set."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, dict[str, Any]] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if not identity.jwt_enabled():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid bearer header: send one token.")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        try:
            claims = identity.verified_claims(token)
        except identity.InvalidStudioToken:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        except identity.IdentityProviderUnavailable:
            raise ServiceUnavailable("The identity provider's keys cannot be fetched.") from None
        user, _ = player_for_identity(provider=settings.ECONOMY_JWT_PROVIDER, subject=claims["sub"])
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user, claims

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def forget_tokens_of(*user_ids: int) -> None:
    """Drop the cached entries of every token of these users, on commit."""
    keys = [
        _cache_key(key)
        for key in Token.objects.filter(user_id__in=user_ids).values_list("key", flat=True)
    ]
    keys += [
        _hashed_cache_key(digest)
        for digest in AuthToken.objects.filter(user_id__in=user_ids).values_list(
            "digest", flat=True
        )
    ]

    def forget() -> None:
        for key in keys:
            safe_cache.safe_delete(key)

    # On commit: dropped earlier, a concurrent request could cache the old row again.
    transaction.on_commit(forget)


def _members(groups: Iterable[Any]) -> "QuerySet[User, int]":
    return User.objects.filter(groups__in=groups).values_list("pk", flat=True)


def _holders(permissions: Iterable[Permission]) -> "QuerySet[User, int]":
    return User.objects.filter(
        Q(user_permissions__in=permissions) | Q(groups__permissions__in=permissions)
    ).values_list("pk", flat=True)


def _on_m2m_changed(
    sender: type, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """A change to who holds which permission: forget the tokens of every user it reaches.
    `pre_clear` (pk_set None) is handled before the rows go, while they can still be read."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    users: Iterable[int]
    if sender is User.groups.through and reverse:  # group.user_set.add(users)
        users = pk_set if pk_set is not None else _members([instance])
    elif sender is User.user_permissions.through and reverse:  # permission.user_set.add(users)
        users = pk_set if pk_set is not None else _holders([instance])
    elif sender is Group.permissions.through:
        if not reverse:  # group.permissions.add(permissions)
            users = _members([instance])
        else:  # permission.group_set.add(groups)
            groups = pk_set if pk_set is not None else instance.group_set.all()
            users = _members(groups)
    else:  # user.groups / user.user_permissions changed
        users = [instance.pk]
    ids = list(users)
    if ids:
        forget_tokens_of(*ids)


def _on_token_deleted(sender: type, instance: Token, **kwargs: Any) -> None:
    # Read now: a deleted instance's primary key (the key, the digest) is None by commit.
    cache_key = _cache_key(instance.key)
    transaction.on_commit(lambda: safe_cache.safe_delete(cache_key))


def _on_hashed_token_deleted(sender: type, instance: AuthToken, **kwargs: Any) -> None:
    cache_key = _hashed_cache_key(instance.digest)
    transaction.on_commit(lambda: safe_cache.safe_delete(cache_key))


def _on_user_saved(sender: type, instance: User, created: bool, **kwargs: Any) -> None:
    if not created:
        forget_tokens_of(instance.pk)


def _on_group_deleted(sender: type, instance: Group, **kwargs: Any) -> None:
    forget_tokens_of(*_members([instance]))


def _on_permission_deleted(sender: type, instance: Permission, **kwargs: Any) -> None:
    forget_tokens_of(*_holders([instance]))


def connect_signals() -> None:
    """Cache upkeep, not business logic: whoever edits a user or a token (admin, shell,
    command), the next request sees it. Connected by AccountsConfig.ready()."""
    post_delete.connect(_on_token_deleted, sender=Token, dispatch_uid="auth-cache-token")
    # A delete in the admin is the proxy's (ApiToken): its signals name the proxy as sender.
    for hashed in (AuthToken, ApiToken):
        post_delete.connect(
            _on_hashed_token_deleted, sender=hashed, dispatch_uid=f"auth-cache-{hashed.__name__}"
        )
    post_save.connect(_on_user_saved, sender=User, dispatch_uid="auth-cache-user")
    # The rows linking users, groups and permissions go with a deleted group or permission
    # without m2m signals: pre_delete, while the members can still be read.
    pre_delete.connect(_on_group_deleted, sender=Group, dispatch_uid="auth-cache-group")
    pre_delete.connect(_on_permission_deleted, sender=Permission, dispatch_uid="auth-cache-perm")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(_on_m2m_changed, sender=through, dispatch_uid=f"auth-cache-{through}")
