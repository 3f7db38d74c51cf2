from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser

from .models import User


class CachedPermissionsBackend(ModelBackend):
    """Django's ModelBackend, answering a user's permissions from `cached_permissions` when
    the token cache loaded them with the user (economy.accounts.authentication): `has_perm`
    then costs no query."""

    def get_all_permissions(self, user_obj: User | AnonymousUser, obj: Any = None) -> set[str]:
        cached = getattr(user_obj, "cached_permissions", None)
        if cached is not None and obj is None and user_obj.is_active:
            return set(cached)
        return super().get_all_permissions(user_obj, obj)
