"""Getting each event to each endpoint that wants it, at least once.

Nothing lives only in a worker's memory: the outbox (events), the deliveries and their leases
are rows. `dispatch()`, run every few seconds by celery beat, gives positions to new events,
adds a delivery per subscribed endpoint, and leases each endpoint's due deliveries to one
worker task (`send_batch`). A worker that dies mid-batch leaves leases that run out, and the
next dispatch leases those deliveries again: a receiver may get an event twice, never zero
times, and deduplicates on `webhook-id`.

One endpoint's batch never waits for another's (a task each), and a failing endpoint stops its
own batch at the first failure: the rest wait for that failure's retry, so a dead endpoint costs
one timeout per retry, not one per event.
"""

import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from standardwebhooks import Webhook

from economy.common.serializers import represent
from economy.events import outbox
from economy.events.models import Event

from .models import Delivery, Endpoint
from .serializers import EventSerializer

USER_AGENT = "economy-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""


def dispatch() -> dict[int, list[int]]:
    """Sequence new events, fan them out, lease what is due; {endpoint id: delivery ids}
    leased. The caller sends each batch (tasks.dispatch_events queues one task per endpoint)."""
    while True:
        with transaction.atomic():
            if len(outbox.sequence()) < outbox.SEQUENCE_BATCH:
                break
    for endpoint in Endpoint.objects.filter(is_active=True):
        while fan_out(endpoint) == settings.ECONOMY_WEBHOOK_BATCH:
            pass
    return lease_due()


def fan_out(endpoint: Endpoint) -> int:
    """Add a delivery to `endpoint` of the next events of the feed it has not seen; the number
    of events looked at. The endpoint's row lock keeps two dispatchers from adding one twice
    (and the unique constraint would refuse it)."""
    now = timezone.now()
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        events = list(
            Event.objects.filter(position__gt=endpoint.fanned_out_to)
            .order_by("position")
            .values_list("id", "type", "position")[: settings.ECONOMY_WEBHOOK_BATCH]
        )
        if not events:
            return 0
        give_up_at = now + timedelta(seconds=settings.ECONOMY_WEBHOOK_RETRY_FOR_SECONDS)
        Delivery.objects.bulk_create(
            Delivery(
                event_id=event_id,
                endpoint=endpoint,
                next_attempt_at=now,
                give_up_at=give_up_at,
            )
            for event_id, event_type, _ in events
            if endpoint.wants(event_type)
        )
        last_position = events[-1][2]
        assert last_position is not None  # only sequenced events were read
        endpoint.fanned_out_to = last_position
        endpoint.save(update_fields=["fanned_out_to"])
    return len(events)


def lease_due() -> dict[int, list[int]]:
    """Lease the due deliveries of each active endpoint that has no batch in flight (up to a
    batch each, oldest event first) to the task about to send them; {endpoint id: ids}.
    One batch per endpoint at a time: a slow endpoint holds one worker, not all of them."""
    now = timezone.now()
    leased_until = now + timedelta(seconds=settings.ECONOMY_WEBHOOK_LEASE_SECONDS)
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING)
    batches: dict[int, list[int]] = {}
    for endpoint_id in Endpoint.objects.filter(is_active=True).values_list("id", flat=True):
        with transaction.atomic():
            # Another dispatcher leasing for this endpoint right now: it is served.
            if not Endpoint.objects.select_for_update(skip_locked=True).filter(pk=endpoint_id):
                continue
            mine = pending.filter(endpoint_id=endpoint_id)
            if mine.filter(leased_until__gte=now).exists():
                continue
            ids = list(
                mine.filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
                .filter(next_attempt_at__lte=now)
                .order_by("event_id")
                .values_list("id", flat=True)[: settings.ECONOMY_WEBHOOK_BATCH]
            )
            if ids:
                Delivery.objects.filter(pk__in=ids).update(leased_until=leased_until)
                batches[endpoint_id] = ids
    return batches


def send_batch(endpoint_id: int, delivery_ids: list[int]) -> int:
    """POST the leased deliveries to their endpoint in event order; the number delivered.
    Stops at the first failure (the rest wait for its retry) and before the lease runs out."""
    endpoint = Endpoint.objects.filter(pk=endpoint_id, is_active=True).first()
    if endpoint is None:
        return 0
    signer = Webhook(endpoint.secret)
    stop_at = time.monotonic() + max(
        settings.ECONOMY_WEBHOOK_LEASE_SECONDS - settings.ECONOMY_WEBHOOK_TIMEOUT_SECONDS, 0
    )
    deliveries = list(
        Delivery.objects.filter(pk__in=delivery_ids, status=Delivery.Status.PENDING)
        .select_related("event")
        .order_by("event_id")
    )
    delivered = 0
    with requests.Session() as session:
        for index, delivery in enumerate(deliveries):
            if time.monotonic() > stop_at:
                release(deliveries[index:], retry_at=timezone.now())
                break
            outcome = post(session, endpoint, signer, delivery.event)
            record_attempt(delivery, outcome)
            if not outcome.ok:
                release(deliveries[index + 1 :], retry_at=delivery.next_attempt_at)
                break
            delivered += 1
    return delivered


def post(session: requests.Session, endpoint: Endpoint, signer: Webhook, event: Event) -> Outcome:
    """One signed POST of the event, as the Standard Webhooks specification has it."""
    message_id = f"evt_{event.pk}"
    sent_at = timezone.now()
    body = json.dumps(represent(EventSerializer, event), cls=DjangoJSONEncoder)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signer.sign(message_id, sent_at, body),
    }
    try:
        response = session.post(
            endpoint.url,
            data=body.encode(),
            headers=headers,
            timeout=settings.ECONOMY_WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        return Outcome(ok=False, error=f"{type(error).__name__}: {error}"[:1000])
    if 200 <= response.status_code < 300:
        return Outcome(ok=True, status_code=response.status_code)
    return Outcome(
        ok=False, status_code=response.status_code, error=response.text[:1000] or response.reason
    )


def record_attempt(delivery: Delivery, outcome: Outcome) -> None:
    """Keep what the attempt gave: delivered, or the next retry, or failed once retries would
    go beyond the delivery's `give_up_at`."""
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    delivery.leased_until = None
    if outcome.ok:
        delivery.status = Delivery.Status.DELIVERED
        delivery.delivered_at = now
    else:
        retry_at = now + backoff(delivery.attempts)
        if retry_at > delivery.give_up_at:
            delivery.status = Delivery.Status.FAILED
        else:
            delivery.next_attempt_at = retry_at
    delivery.save(
        update_fields=[
            "attempts",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "leased_until",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )


def backoff(attempts: int) -> timedelta:
    """The wait before retry number `attempts`: doubling from the base up to the maximum, half
    of it random ("equal jitter"), so endpoints that failed together do not retry together."""
    ceiling = min(
        settings.ECONOMY_WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1),
        settings.ECONOMY_WEBHOOK_RETRY_MAX_SECONDS,
    )
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311


def release(deliveries: list[Delivery], *, retry_at: datetime) -> None:
    """Give back the leases of deliveries not attempted, due again at `retry_at`."""
    if deliveries:
        Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
            leased_until=None, next_attempt_at=retry_at
        )


def redeliver(deliveries: QuerySet[Delivery]) -> int:
    """Send again (support's action): pending, due now, with a fresh retry period."""
    now = timezone.now()
    return deliveries.update(
        status=Delivery.Status.PENDING,
        next_attempt_at=now,
        leased_until=None,
        delivered_at=None,
        give_up_at=now + timedelta(seconds=settings.ECONOMY_WEBHOOK_RETRY_FOR_SECONDS),
    )


def purge_delivered(now: datetime | None = None) -> int:
    """Delete the events older than the retention whose every delivery succeeded (with their
    deliveries); events with a pending or failed delivery stay. The number of events deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ECONOMY_EVENT_RETENTION_DAYS)
    unfinished = Delivery.objects.exclude(status=Delivery.Status.DELIVERED).values("event_id")
    old = Event.objects.filter(created_at__lt=cutoff, position__isnull=False).exclude(
        pk__in=unfinished
    )
    _, by_model = old.delete()
    return by_model.get(Event._meta.label, 0)
