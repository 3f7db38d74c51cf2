"""Token authentication with the token's user kept in the cache.

DRF looks a token up with a join on every request; on the hot read paths that lookup was most
of the work. Here the lookup result (who the user is, whether active, which permissions) is
cached for ECONOMY_AUTH_CACHE_TTL seconds under a hash of the token. The entry is dropped at
once when the token is deleted or the user saved (deactivated, made staff), whoever does it.

The cached user carries no balance: views that show a balance read it from the database.
Permissions are not cached: has_perm queries them as Django always does.
"""

import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from economy.common import cache as safe_cache

User = get_user_model()

_USER_FIELDS = ("id", "username", "email", "is_active", "is_staff", "is_superuser")


def _cache_key(key):
    # The key itself never goes to Redis: a dump of the cache gives no usable token.
    return "auth:token:" + hashlib.sha256(key.encode()).hexdigest()


def _snapshot(user):
    return {name: getattr(user, name) for name in _USER_FIELDS}


def _user_from(snapshot):
    user = User(**snapshot)
    user._state.adding = False
    return user


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`: DRF's scheme, with the lookup cached (see module doc)."""

    def authenticate_credentials(self, key):
        # PostgreSQL cannot compare a NUL byte: refuse it here as a bad token (401), not 503.
        if "\x00" in key:
            raise exceptions.AuthenticationFailed("Invalid token.")
        cache_key = _cache_key(key)
        snapshot = safe_cache.safe_get(cache_key)
        if snapshot is None:
            user, token = super().authenticate_credentials(key)
            snapshot = _snapshot(user)
            safe_cache.safe_set(cache_key, snapshot, settings.ECONOMY_AUTH_CACHE_TTL)
            return user, token
        user = _user_from(snapshot)
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user, Token(key=key, user=user)


def forget_tokens_of(user_id):
    keys = list(Token.objects.filter(user_id=user_id).values_list("key", flat=True))
    # On commit: dropped earlier, a concurrent request could cache the old row again.
    transaction.on_commit(lambda: [safe_cache.safe_delete(_cache_key(key)) for key in keys])


def _on_token_deleted(sender, instance, **kwargs):
    transaction.on_commit(lambda: safe_cache.safe_delete(_cache_key(instance.key)))


def _on_user_saved(sender, instance, created, **kwargs):
    if not created:
        forget_tokens_of(instance.pk)


def connect_signals():
    """Cache upkeep, not business logic: whoever edits a user or a token (admin, shell,
    command), the next request sees it. Connected by AccountsConfig.ready()."""
    post_delete.connect(_on_token_deleted, sender=Token, dispatch_uid="auth-cache-token")
    post_save.connect(_on_user_saved, sender=User, dispatch_uid="auth-cache-user")
