"""Periodic housekeeping of the accounts: thin tasks over services, safe to run twice."""

from celery import shared_task

from . import services


@shared_task(
    name="economy.accounts.purge_expired_tokens", acks_late=True, reject_on_worker_lost=True
)
def purge_expired_tokens() -> int:
    """Daily: delete API tokens past their expiry."""
    return services.purge_expired_tokens()
