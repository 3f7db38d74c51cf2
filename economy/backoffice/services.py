"""Writes of the back office: the staff roles. Each role is a staff account in one group of the
data migration `backoffice/0001_groups`, which grants the group its permissions."""

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.crypto import get_random_string

from economy.accounts.models import User
from economy.common.exceptions import InvalidInput

ROLES = {
    "content-manager": "Content managers",
    "support": "Support",
}


def create_staff(
    *, username: str, role: str, email: str = "", password: str | None = None
) -> tuple[User, str]:
    """Create a staff account in the role's group; return it with its password (generated when
    none is given). Raises InvalidInput for an unknown role, a taken or invalid username, or a
    password the validators refuse; nothing is created then."""
    if role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}: choose one of {', '.join(ROLES)}.")
    group = Group.objects.filter(name=ROLES[role]).first()
    if group is None:
        raise InvalidInput(f"The group {ROLES[role]!r} is missing: run `manage.py migrate`.")
    user = User(username=username.strip(), email=email.strip(), is_staff=True)
    password = password or get_random_string(16)
    try:
        user.full_clean(exclude=["password"], validate_unique=False)
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages)) from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            user.groups.add(group)
    except IntegrityError:
        raise InvalidInput(f"A user named {user.username!r} already exists.") from None
    return user, password
