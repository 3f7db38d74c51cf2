from typing import ClassVar, Self

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """A player, a trusted backend (service account) or a member of staff.

    `balance` is virtual currency in whole units. It changes only through the ledger services,
    in the same database transaction as the ledger row that explains the change.
    """

    email = models.EmailField("email address", blank=True)
    balance = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[UserManager[Self]] = UserManager()
    # What the token cache loaded with the user, answered by CachedPermissionsBackend.
    cached_permissions: set[str] | None = None

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(balance__gte=0), name="user_balance_gte_0"),
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_ci_unique",
                violation_error_message="A user with this email already exists.",
            ),
        ]
        permissions = [
            ("add_funds", "Can credit a player's balance (trusted backend)"),
        ]

    def __str__(self) -> str:
        return self.username
