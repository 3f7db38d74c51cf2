from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """A claimed Idempotency-Key and the response it produced.

    Inserted in the same database transaction as the effect it guards, so the UNIQUE
    constraint on (actor, route, key) is what makes a second effect impossible.
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    route = models.CharField(max_length=200)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["actor", "route", "key"], name="idempotency_scope_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.key}"
