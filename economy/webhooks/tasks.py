"""The webhook work celery runs: thin tasks over economy/webhooks/delivery.py, safe to run
twice (a lost task's deliveries are leased again once its lease runs out)."""

from celery import shared_task

from . import delivery


@shared_task(name="economy.webhooks.dispatch_events", acks_late=True, reject_on_worker_lost=True)
def dispatch_events() -> int:
    """Every few seconds (celery beat): give new events positions and deliveries, then queue one
    task per endpoint for what is due; the number of deliveries queued."""
    batches = delivery.dispatch()
    for endpoint_id, delivery_ids in batches.items():
        send_batch.delay(endpoint_id, delivery_ids)
    return sum(len(ids) for ids in batches.values())


@shared_task(name="economy.webhooks.send_batch", acks_late=True, reject_on_worker_lost=True)
def send_batch(endpoint_id: int, delivery_ids: list[int]) -> int:
    """POST one endpoint's leased deliveries; the number delivered."""
    return delivery.send_batch(endpoint_id, delivery_ids)


@shared_task(name="economy.webhooks.purge_events", acks_late=True, reject_on_worker_lost=True)
def purge_events() -> int:
    """Daily: delete the events past their retention that every endpoint received."""
    return delivery.purge_delivered()
