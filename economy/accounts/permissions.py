from django.contrib.auth.models import AnonymousUser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from .models import User

ADD_FUNDS_PERMISSION = "accounts.add_funds"
VIEW_USERS_PERMISSION = "accounts.view_user"


def is_trusted(user: User | AnonymousUser | None) -> bool:
    """Trusted backends and support staff: whoever holds accounts.add_funds.

    Staff status alone is not enough: a content manager is staff (to reach the admin) but must
    not credit balances or read players' data through the API.
    """
    return bool(user and user.is_authenticated and user.has_perm(ADD_FUNDS_PERMISSION))


def can_access_user(actor: User | AnonymousUser, user_id: int) -> bool:
    """A player sees only its own data; staff holding accounts.view_user see everyone's."""
    return actor.pk == user_id or (actor.is_staff and actor.has_perm(VIEW_USERS_PERMISSION))


class IsSelfOrStaff(BasePermission):
    """For routes under /users/{user_id}/: the user itself, or staff allowed to view users."""

    message = "You may only access your own data."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_access_user(request.user, view.kwargs["user_id"])


class IsTrusted(BasePermission):
    message = "Only trusted backends and support staff may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_trusted(request.user)


class CanAddFunds(IsTrusted):
    message = "Only trusted backends and support staff may add funds."


class IsSelfOrTrusted(BasePermission):
    """For routes under /users/{user_id}/ that game servers read too: the user itself, staff
    allowed to view users, or a trusted backend."""

    message = "You may only access your own data."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_access_user(request.user, view.kwargs["user_id"]) or is_trusted(request.user)
