"""Webhook delivery to real HTTP receivers on 127.0.0.1: Standard Webhooks signatures, retries
with backoff, a receiver that was down, retries running out, redelivery, and the retention
purge. Tasks run eagerly here; tests/events/test_webhook_worker.py runs a real worker."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from standardwebhooks import Webhook

from economy.events import outbox
from economy.events.models import Event, EventType
from economy.webhooks import delivery, tasks
from economy.webhooks.models import Delivery, Endpoint
from tests.factories import UserFactory
from tests.support.receivers import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def player(db):
    """A player whose making recorded no event (no funds granted)."""
    return UserFactory()


@pytest.fixture
def fast_retries(settings):
    settings.ECONOMY_WEBHOOK_RETRY_BASE_SECONDS = 0.001
    settings.ECONOMY_WEBHOOK_TIMEOUT_SECONDS = 2
    return settings


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def happened(count=1, type=EventType.DEPOSIT_COMPLETED, user=None, at=None):
    """Events as a service records them (committed), with a payload of their own; written
    `at` a time in the past if given (an event's time never changes once written)."""
    return [
        Event.objects.create(
            type=type,
            user=user,
            payload={"n": n, "amount": 10 * n},
            created_at=at or timezone.now(),
        )
        for n in range(count)
    ]


def dispatch_until_settled(rounds=20):
    for _ in range(rounds):
        tasks.dispatch_events()
        if not Delivery.objects.filter(status=Delivery.Status.PENDING).exists():
            return


def test_an_event_arrives_signed_as_standard_webhooks_specify(receiver, player):
    endpoint = Endpoint.objects.create(url=receiver.url)
    [event] = happened(user=player)

    assert tasks.dispatch_events() == 1

    [got] = receiver.received
    body = Webhook(endpoint.secret).verify(got.body, got.headers)
    event.refresh_from_db()
    assert got.headers["webhook-id"] == f"evt_{event.pk}"
    assert got.headers["content-type"] == "application/json"
    assert body == {
        "id": f"evt_{event.pk}",
        "type": "deposit.completed",
        "timestamp": body["timestamp"],
        "position": event.position,
        "user_id": player.pk,
        "data": {"n": 0, "amount": 0},
    }
    sent = Delivery.objects.get()
    assert (sent.status, sent.attempts, sent.last_status_code) == ("delivered", 1, 200)
    assert sent.delivered_at is not None and sent.leased_until is None


def test_a_wrong_secret_or_a_changed_body_does_not_verify(receiver):
    Endpoint.objects.create(url=receiver.url)
    happened()
    tasks.dispatch_events()
    [got] = receiver.received
    other = Webhook("whsec_" + "QUJD" * 8)
    with pytest.raises(Exception, match="No matching signature"):
        other.verify(got.body, got.headers)
    endpoint = Endpoint.objects.get()
    tampered = got.body.replace(b'"amount": 0', b'"amount": 9')
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(endpoint.secret).verify(tampered, got.headers)


def test_a_receiver_answering_500_gets_the_event_on_the_retry(receiver, fast_retries):
    receiver.statuses = [500]
    Endpoint.objects.create(url=receiver.url)
    [event] = happened()

    tasks.dispatch_events()
    first = Delivery.objects.get()
    assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 500)
    assert first.next_attempt_at > first.last_attempt_at

    dispatch_until_settled()
    done = Delivery.objects.get()
    assert (done.status, done.attempts, done.last_status_code) == ("delivered", 2, 200)
    assert receiver.ids() == [f"evt_{event.pk}"] * 2  # the same id: the receiver deduplicates


def test_a_receiver_down_for_a_while_gets_everything_once_back(fast_retries):
    receiver = Receiver()  # its port, nobody listening yet
    Endpoint.objects.create(url=receiver.url)
    events = happened(5)

    tasks.dispatch_events()
    failed = Delivery.objects.filter(attempts=1)
    assert failed.count() == 1, "the first failure stops the batch: one attempt, not five"
    assert "ConnectionError" in failed.get().last_error
    assert Delivery.objects.filter(status="pending").count() == 5

    receiver.start()
    try:
        dispatch_until_settled()
    finally:
        receiver.stop()
    assert sorted(receiver.ids()) == sorted(f"evt_{e.pk}" for e in events)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_retries_that_run_out_mark_the_delivery_failed_and_support_can_redeliver(
    receiver, fast_retries
):
    fast_retries.ECONOMY_WEBHOOK_RETRY_FOR_SECONDS = 0
    receiver.statuses = [503]
    Endpoint.objects.create(url=receiver.url)
    happened()

    tasks.dispatch_events()
    dead = Delivery.objects.get()
    assert (dead.status, dead.attempts, dead.last_status_code) == ("failed", 1, 503)
    tasks.dispatch_events()
    assert len(receiver.received) == 1, "a failed delivery is not retried by itself"

    fast_retries.ECONOMY_WEBHOOK_RETRY_FOR_SECONDS = 3600
    assert delivery.redeliver(Delivery.objects.all()) == 1
    tasks.dispatch_events()
    again = Delivery.objects.get()
    assert (again.status, again.attempts) == ("delivered", 2)


def test_backoff_doubles_with_jitter_up_to_its_maximum(settings):
    settings.ECONOMY_WEBHOOK_RETRY_BASE_SECONDS = 10
    settings.ECONOMY_WEBHOOK_RETRY_MAX_SECONDS = 3600
    for attempts, ceiling in [(1, 10), (2, 20), (3, 40), (9, 2560), (10, 3600), (30, 3600)]:
        waits = {delivery.backoff(attempts).total_seconds() for _ in range(50)}
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(waits) > 1, "jitter: endpoints that failed together spread their retries"


def test_an_endpoint_gets_only_its_types_and_only_events_after_it_was_made(receiver):
    happened(type=EventType.DEPOSIT_COMPLETED)
    tasks.dispatch_events()  # before any endpoint: given a position, sent nowhere
    Endpoint.objects.create(url=receiver.url, event_types=[EventType.SPEND_COMPLETED])
    happened(type=EventType.DEPOSIT_COMPLETED)
    [spend] = happened(type=EventType.SPEND_COMPLETED)

    tasks.dispatch_events()

    assert receiver.ids() == [f"evt_{spend.pk}"]
    assert Delivery.objects.count() == 1


def test_an_inactive_endpoint_gets_nothing_queued_or_sent(receiver):
    Endpoint.objects.create(url=receiver.url, is_active=False)
    happened(3)
    assert tasks.dispatch_events() == 0
    assert receiver.received == [] and Delivery.objects.count() == 0


def test_a_second_dispatch_sends_nothing_twice(receiver):
    Endpoint.objects.create(url=receiver.url)
    happened(3)
    tasks.dispatch_events()
    tasks.dispatch_events()
    assert len(receiver.received) == 3
    assert Delivery.objects.count() == 3


def test_a_lease_that_ran_out_is_sent_again_and_a_live_one_is_not(receiver, settings):
    Endpoint.objects.create(url=receiver.url)
    happened()
    delivery.dispatch()  # leased, as if a worker took it and then died
    assert delivery.lease_due() == {}, "its lease still runs: nobody else takes it"
    Delivery.objects.update(leased_until=timezone.now() - timedelta(seconds=1))
    batches = delivery.lease_due()
    assert list(batches.values()) == [[Delivery.objects.get().pk]]
    delivery.send_batch(*next(iter(batches.items())))
    assert Delivery.objects.get().status == "delivered"


def test_delivered_events_past_retention_are_purged_and_failed_ones_kept(receiver, settings):
    settings.ECONOMY_EVENT_RETENTION_DAYS = 30
    Endpoint.objects.create(url=receiver.url)
    old = timezone.now() - timedelta(days=31)
    delivered, failed = happened(2, at=old)
    recent = happened()[0]
    tasks.dispatch_events()
    Delivery.objects.filter(event=failed).update(status="failed", delivered_at=None)
    unsent = happened(at=old)[0]  # no endpoint wanted it: nothing to wait for
    assert tasks.purge_events() == 1  # `unsent` has no position yet: kept until it has one

    assert set(Event.objects.values_list("pk", flat=True)) == {failed.pk, recent.pk, unsent.pk}
    assert not Delivery.objects.filter(event_id=delivered.pk).exists()


def test_the_body_is_the_event_as_the_feed_shows_it(receiver, backend_client):
    Endpoint.objects.create(url=receiver.url)
    happened(2)
    tasks.dispatch_events()
    feed = backend_client.get("/api/v1/events").json()["results"]
    assert [json.loads(got.body) for got in receiver.received] == feed


def test_positions_are_given_inside_a_transaction_only():
    with pytest.raises(RuntimeError):
        outbox.sequence()


def test_the_command_dispatches_and_sends_in_its_own_process(receiver):
    Endpoint.objects.create(url=receiver.url)
    happened(2)
    out = io.StringIO()
    call_command("dispatch_events", stdout=out)
    assert out.getvalue().strip() == "2 of 2 deliveries sent."
    assert len(receiver.received) == 2


def test_the_database_refuses_a_second_delivery_of_an_event_to_one_endpoint(receiver):
    endpoint = Endpoint.objects.create(url=receiver.url)
    [event] = happened()
    tasks.dispatch_events()
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(event=event, endpoint=endpoint, give_up_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.filter(event=event).update(delivered_at=None)  # delivered, but when?
    assert Delivery.objects.get().status == "delivered"
