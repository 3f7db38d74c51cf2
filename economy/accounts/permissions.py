from rest_framework.permissions import BasePermission

ADD_FUNDS_PERMISSION = "accounts.add_funds"


def is_trusted(user):
    """Staff and trusted backends (service accounts holding accounts.add_funds)."""
    return bool(user and user.is_authenticated and (user.is_staff or user.has_perm(ADD_FUNDS_PERMISSION)))


def can_access_user(actor, user_id):
    """A player sees only its own data; staff see everyone's."""
    return actor.is_staff or actor.pk == user_id


class IsSelfOrStaff(BasePermission):
    """For routes under /users/{user_id}/: the user itself or staff."""

    message = "You may only access your own data."

    def has_permission(self, request, view):
        return can_access_user(request.user, view.kwargs["user_id"])


class CanAddFunds(BasePermission):
    message = "Only trusted backends and staff may add funds."

    def has_permission(self, request, view):
        return is_trusted(request.user)
