"""What the support commands share: finding a user as staff type it, printing data."""

import json

from django.core.management.base import CommandError
from django.core.serializers.json import DjangoJSONEncoder

from economy.accounts.models import User
from economy.accounts.selectors import find_user

USER_HELP = "the user's id, username or email"


def user_or_error(identifier: str | int) -> User:
    """The user `identifier` names, or a one-line CommandError (exit status 1)."""
    user = find_user(identifier)
    if user is None:
        raise CommandError(f"No user matches {identifier!r} (give an id, username or email).")
    return user


def to_json(data: object) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
