from django.db.models import Q

from .models import User


def find_user(identifier: str | int) -> User | None:
    """A user by id, username or email (case-insensitive), as support staff type it.

    Returns None when nothing matches.
    """
    identifier = str(identifier).strip()
    lookup = Q(username=identifier) | Q(email__iexact=identifier)
    if identifier.isdigit():
        lookup |= Q(pk=int(identifier))
    return User.objects.filter(lookup).order_by("pk").first()
