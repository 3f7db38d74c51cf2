"""Token authentication with the token's user kept in the cache.

DRF looks a token up with a join on every request; on the hot read paths that lookup was most
of the work. Here the lookup result (who the user is, whether active, which permissions) is
cached for ECONOMY_AUTH_CACHE_TTL seconds under a hash of the token. The entry is dropped at
once, on commit, when the token is deleted, the user saved (deactivated, made staff), or a
permission reaching the user changes (its own permissions, its groups, a group's permissions,
a group or a permission deleted), whoever does it.

The cached user carries no balance: views that show a balance read it from the database.
Its permissions are loaded once per entry (one query), so `has_perm` on a cached user, as
Django's ModelBackend answers it, costs no query.
"""

import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from economy.common import cache as safe_cache

User = get_user_model()

_USER_FIELDS = ("id", "username", "email", "is_active", "is_staff", "is_superuser")


def _cache_key(key):
    # The key itself never goes to Redis: a dump of the cache gives no usable token.
    # v2: entries carry the permissions; v1 entries (fields only) are never read.
    return "auth:token:v2:" + hashlib.sha256(key.encode()).hexdigest()


def _permissions_of(user):
    """What ModelBackend.get_all_permissions() gives, in one query instead of two."""
    rows = (
        Permission.objects.filter(Q(user=user) | Q(group__user=user))
        .order_by()
        .values_list("content_type__app_label", "codename")
        .distinct()
    )
    return {f"{app_label}.{codename}" for app_label, codename in rows}


def _snapshot(user):
    return {
        "fields": {name: getattr(user, name) for name in _USER_FIELDS},
        "permissions": _permissions_of(user),
    }


def _user_from(snapshot):
    user = User(**snapshot["fields"])
    user._state.adding = False
    # ModelBackend answers has_perm from this attribute when it is set.
    user._perm_cache = snapshot["permissions"]
    return user


def _read_ahead_keys(request):
    """The cache keys the view will read, for views that name them (`cache_keys_to_read_ahead`
    with the URL's arguments): read with the token's entry, in the same round trip."""
    context = getattr(request, "parser_context", None) or {}
    name_them = getattr(context.get("view"), "cache_keys_to_read_ahead", None)
    return name_them(**context.get("kwargs", {})) if name_them else ()


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`: DRF's scheme, with the lookup cached (see module doc)."""

    def authenticate(self, request):
        # DRF makes an authenticator per request: the request is this one's to remember.
        self.request = request
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        # PostgreSQL cannot compare a NUL byte: refuse it here as a bad token (401), not 503.
        if "\x00" in key:
            raise exceptions.AuthenticationFailed("Invalid token.")
        cache_key = _cache_key(key)
        ahead = _read_ahead_keys(getattr(self, "request", None))
        snapshot = safe_cache.safe_get_many([cache_key], ahead=ahead).get(cache_key)
        if snapshot is None:
            user, token = super().authenticate_credentials(key)
            snapshot = _snapshot(user)
            safe_cache.safe_set(cache_key, snapshot, settings.ECONOMY_AUTH_CACHE_TTL)
            user._perm_cache = snapshot["permissions"]
            return user, token
        user = _user_from(snapshot)
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user, Token(key=key, user=user)


def forget_tokens_of(*user_ids):
    """Drop the cached entries of every token of these users, on commit."""
    keys = list(Token.objects.filter(user_id__in=user_ids).values_list("key", flat=True))
    # On commit: dropped earlier, a concurrent request could cache the old row again.
    transaction.on_commit(lambda: [safe_cache.safe_delete(_cache_key(key)) for key in keys])


def _members(groups):
    return User.objects.filter(groups__in=groups).values_list("pk", flat=True)


def _holders(permissions):
    return User.objects.filter(
        Q(user_permissions__in=permissions) | Q(groups__permissions__in=permissions)
    ).values_list("pk", flat=True)


def _on_m2m_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A change to who holds which permission: forget the tokens of every user it reaches.
    `pre_clear` (pk_set None) is handled before the rows go, while they can still be read."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
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


def _on_token_deleted(sender, instance, **kwargs):
    transaction.on_commit(lambda: safe_cache.safe_delete(_cache_key(instance.key)))


def _on_user_saved(sender, instance, created, **kwargs):
    if not created:
        forget_tokens_of(instance.pk)


def _on_group_deleted(sender, instance, **kwargs):
    forget_tokens_of(*_members([instance]))


def _on_permission_deleted(sender, instance, **kwargs):
    forget_tokens_of(*_holders([instance]))


def connect_signals():
    """Cache upkeep, not business logic: whoever edits a user or a token (admin, shell,
    command), the next request sees it. Connected by AccountsConfig.ready()."""
    post_delete.connect(_on_token_deleted, sender=Token, dispatch_uid="auth-cache-token")
    post_save.connect(_on_user_saved, sender=User, dispatch_uid="auth-cache-user")
    # The rows linking users, groups and permissions go with a deleted group or permission
    # without m2m signals: pre_delete, while the members can still be read.
    pre_delete.connect(_on_group_deleted, sender=Group, dispatch_uid="auth-cache-group")
    pre_delete.connect(_on_permission_deleted, sender=Permission, dispatch_uid="auth-cache-perm")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(_on_m2m_changed, sender=through, dispatch_uid=f"auth-cache-{through}")
