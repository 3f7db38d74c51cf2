"""Periodic housekeeping: thin tasks over services, safe to run twice."""

from celery import shared_task

from . import idempotency


@shared_task(
    name="economy.common.purge_idempotency_keys", acks_late=True, reject_on_worker_lost=True
)
def purge_idempotency_keys() -> int:
    """Hourly: delete Idempotency-Key records older than ECONOMY_IDEMPOTENCY_TTL."""
    return idempotency.purge_expired_keys()
