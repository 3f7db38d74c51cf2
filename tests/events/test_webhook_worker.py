"""Webhooks through a real Celery worker (threads pool) on Redis, on this test's database: a
worker killed mid-delivery loses nothing, and a hung endpoint does not hold up a live one."""

import signal
import threading
import uuid

import pytest
from celery import Celery
from django.db import connection

from economy.events.models import Event, EventType
from economy.webhooks import delivery
from economy.webhooks.models import Delivery, Endpoint
from tests.support.processes import (
    database_url,
    production_env,
    start_worker,
    stop,
    wait_until,
    with_dbname,
)
from tests.support.receivers import BlackHole, Receiver

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BROKER_URL = "redis://127.0.0.1:6379/14"
SEND_BATCH = "economy.webhooks.send_batch"


@pytest.fixture
def queue():
    return f"webhooks-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def worker(queue, tmp_path):
    """Start a worker on the test's database and queue; stop it (or what is left) at the end."""
    log = tmp_path / "worker.log"
    processes = []

    def run(**settings):
        env = production_env(
            DATABASE_URL=with_dbname(database_url(), connection.settings_dict["NAME"]),
            REDIS_URL=BROKER_URL,
            CELERY_BROKER_URL=BROKER_URL,
            CELERY_RESULT_BACKEND=BROKER_URL,
            LOG_JSON="false",
            **{key: str(value) for key, value in settings.items()},
        )
        process = start_worker(env, queue, log, pool="threads", concurrency=4)
        processes.append(process)
        wait_until(
            lambda: "ready" in (log.read_text() if log.exists() else ""),
            timeout=60,
            interval=0.2,
            message=f"the worker to start\n{log.read_text() if log.exists() else ''}",
        )
        return process

    run.log = log
    yield run
    for process in processes:
        stop(process, signal.SIGKILL)


@pytest.fixture
def sender(queue):
    app = Celery("webhooks-test-sender", broker=BROKER_URL, set_as_current=False)

    def send(batches):
        for endpoint_id, ids in batches.items():
            app.send_task(SEND_BATCH, args=[endpoint_id, ids], queue=queue)

    return send


def happened(count):
    Event.objects.bulk_create(
        Event(type=EventType.DEPOSIT_COMPLETED, payload={"n": n}) for n in range(count)
    )
    return list(Event.objects.order_by("id").values_list("id", flat=True))


def test_a_worker_killed_mid_delivery_loses_nothing(worker, sender, settings):
    settings.ECONOMY_WEBHOOK_LEASE_SECONDS = 2
    receiver = Receiver(hold=threading.Event()).start()
    try:
        Endpoint.objects.create(url=receiver.url)
        [event_id] = happened(1)
        process = worker(ECONOMY_WEBHOOK_LEASE_SECONDS=30)
        sender(delivery.dispatch())
        assert receiver.first_arrived.wait(60), worker.log.read_text()
        stop(process, signal.SIGKILL)  # mid-POST: sent, not answered, nothing recorded
        receiver.hold.set()
        lost = Delivery.objects.get()
        assert (lost.status, lost.attempts) == ("pending", 0)

        # Its lease runs out; the next dispatch leases it again, and a new worker sends it.
        worker(ECONOMY_WEBHOOK_LEASE_SECONDS=30)
        wait_until(
            lambda: (
                (sender(delivery.dispatch()) or True)
                and Delivery.objects.get().status == "delivered"
            ),
            timeout=60,
            interval=0.5,
            message=f"the delivery to be sent again\n{worker.log.read_text()}",
        )
    finally:
        receiver.stop()
    assert receiver.ids() == [f"evt_{event_id}"]
    assert Delivery.objects.get().attempts == 1


def test_a_hung_endpoint_does_not_hold_up_a_live_one(worker, sender, settings):
    settings.ECONOMY_WEBHOOK_BATCH = 250
    hung, live = BlackHole(), Receiver().start()
    try:
        Endpoint.objects.create(url=hung.url)
        Endpoint.objects.create(url=live.url)
        ids = happened(1000)
        worker(ECONOMY_WEBHOOK_TIMEOUT_SECONDS=120, ECONOMY_WEBHOOK_LEASE_SECONDS=300)
        wait_until(
            lambda: (sender(delivery.dispatch()) or True) and len(live.received) >= 1000,
            timeout=110,
            interval=0.3,
            message=f"the live endpoint to get every event\n{worker.log.read_text()}",
        )
        # All of it while the hung endpoint's one POST is still waiting for an answer.
        assert hung.accepted == 1 and hung.closed_at == []
    finally:
        live.stop()
        hung.stop()
    assert sorted(live.ids()) == sorted(f"evt_{i}" for i in ids)  # each once
    assert Delivery.objects.filter(endpoint__url=live.url, status="delivered").count() == 1000
    assert Delivery.objects.filter(endpoint__url=hung.url, status="pending").count() == 1000
