"""One task through the real thing: a Celery worker consuming from Redis, not eager mode."""

import faulthandler
import os
from datetime import timedelta

import pytest
import redis
from celery import Celery, signals
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult
from django.db import connections
from django.utils import timezone

from config.celery import app as project_app
from economy.common.models import IdempotencyRecord

# A database of its own on the local Redis: the suite's cache uses 15.
BROKER_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/14")
TASK = "economy.common.purge_idempotency_keys"


def _close_db_connections(**kwargs):
    # The worker thread opened its own connection; do not leave it to the end of the run.
    connections.close_all()


@pytest.fixture
def live_app():
    """The project's Celery configuration with eager mode off and a broker on Redis. A
    separate app object, so the rest of the suite keeps its eager one untouched."""
    queue = f"economy-test-{os.getpid()}"
    app = Celery("economy-live-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        task_always_eager=False,
        broker_url=BROKER_URL,
        result_backend=BROKER_URL,
        task_default_queue=queue,
        broker_connection_retry_on_startup=False,
        broker_connection_max_retries=1,
        broker_connection_timeout=3,
        redis_socket_connect_timeout=3,
        redis_socket_timeout=10,
        worker_enable_remote_control=False,
    )
    app.autodiscover_tasks(["economy.common", "economy.inventory", "economy.ledger"], force=True)
    signals.task_postrun.connect(_close_db_connections, weak=False)
    # If the worker never comes up, end the run with tracebacks instead of hanging CI.
    faulthandler.dump_traceback_later(120, exit=True)
    try:
        yield app
    finally:
        faulthandler.cancel_dump_traceback_later()
        signals.task_postrun.disconnect(_close_db_connections)
        app.close()
        project_app.set_current()
        project_app.set_default()
        redis.Redis.from_url(BROKER_URL).delete(
            f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
        )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_task_sent_through_redis_runs_on_a_real_worker(live_app, player):
    expired = IdempotencyRecord.objects.create(
        actor=player,
        route="POST r",
        key="old",
        fingerprint="f",
        status_code=201,
        response_body=b"{}",
    )
    IdempotencyRecord.objects.filter(pk=expired.pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    fresh = IdempotencyRecord.objects.create(
        actor=player,
        route="POST r",
        key="new",
        fingerprint="f",
        status_code=201,
        response_body=b"{}",
    )

    with start_worker(
        live_app, pool="solo", perform_ping_check=False, shutdown_timeout=15, loglevel="WARNING"
    ):
        result = live_app.tasks[TASK].apply_async()
        assert not isinstance(result, EagerResult)  # sent to Redis, run by the worker
        assert result.get(timeout=30) == 1
        assert result.status == "SUCCESS"
        result.forget()

    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]
