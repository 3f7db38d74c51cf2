"""Periodic work on the inventory: thin tasks over services, safe to run twice."""

from celery import shared_task

from . import cache, services


@shared_task(
    name="economy.inventory.reset_inventory_cache", acks_late=True, reject_on_worker_lost=True
)
def reset_inventory_cache() -> None:
    """Daily: make every user's cached inventory stale at once (one cache write)."""
    cache.reset_all()


@shared_task(name="economy.inventory.expire_items", acks_late=True, reject_on_worker_lost=True)
def expire_items() -> int:
    """Every minute: mark time-limited items past their expiry, each with its `item.expired`
    event. Safe to run twice at once (inventory.services.expire_items)."""
    return services.expire_items()
