"""Periodic work on the ledger: thin tasks over services, safe to run twice."""

from celery import shared_task

from . import analytics, holds


@shared_task(
    name="economy.ledger.warm_popular_products", acks_late=True, reject_on_worker_lost=True
)
def warm_popular_products(
    days: int = analytics.DEFAULT_DAYS, limit: int = analytics.DEFAULT_LIMIT
) -> int:
    """Hourly: recompute the popular products the game client asks for and cache them, so a
    player never waits for the aggregate."""
    return len(analytics.warm_popular_products(days=days, limit=limit))


@shared_task(name="economy.ledger.expire_holds", acks_late=True, reject_on_worker_lost=True)
def expire_holds() -> int:
    """Every minute: end each hold past its expiry as its `on_expiry` says. Two runs at once,
    or a run after a crash, end nothing twice (ledger/holds.py)."""
    return holds.expire_due_holds()
