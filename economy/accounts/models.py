from typing import ClassVar, Self

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from knox.models import AuthToken


class User(AbstractUser):
    """A player, a trusted backend (service account) or a member of staff. What a player holds
    is in its ledger wallets, one per currency (economy.ledger)."""

    email = models.EmailField("email address", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[UserManager[Self]] = UserManager()
    # What the token cache loaded with the user, answered by CachedPermissionsBackend.
    cached_permissions: set[str] | None = None

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_ci_unique",
                violation_error_message="A user with this email already exists.",
            ),
        ]
        permissions = [
            ("add_funds", "Trusted backend: may credit and charge players' wallets"),
        ]

    def __str__(self) -> str:
        return self.username


class ExternalIdentity(models.Model):
    """Who a player is outside the service: a subject of one identity provider (the studio's
    own sign-in, Steam, Apple, Google, a device id), mapped to exactly one user."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_identities")
    provider = models.CharField(max_length=50)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "external identities"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"],
                name="external_identity_unique_per_provider",
                violation_error_message="This provider's subject is already a player.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject}"


class ApiToken(AuthToken):
    """An API token as support sees it in the admin: whose, since when, until when (never, for
    a service account by default), and the first characters of its key; never the key."""

    class Meta:
        proxy = True
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.token_key}… ({self.user})"
