"""A Celery worker killed while running a task: the task runs again, its effect happens once.

Late acknowledgement (CELERY_TASK_ACKS_LATE) keeps the message unacknowledged while the task
runs; when the whole worker dies (SIGKILL: the OOM killer, a node lost) the Redis broker hands
it to the next worker once the visibility timeout has passed. Real worker subprocesses
(`celery -A config worker --pool=solo`) on Redis DB 14, a queue of this test's own.
"""

import os
import signal
import time
import uuid

import pytest
import redis
from celery import Celery

from tests.support.processes import production_env, start_worker, stop, wait_until

pytestmark = pytest.mark.slow

BROKER_URL = "redis://127.0.0.1:6379/14"
TASK = "tests.reliability.celery_probe.effect_once"
# Short for the test, so the lost message is redelivered within seconds. In production it is
# longer than any task runs (an hour), or a slow task would run twice while still alive.
VISIBILITY_TIMEOUT = 1


@pytest.fixture
def run_id():
    run = f"reliability-celery-{uuid.uuid4().hex[:12]}"
    yield run
    store = redis.Redis.from_url(BROKER_URL)
    # The probe's keys, the queue and kombu's binding for it.
    keys = list(store.scan_iter(f"*{run}*"))
    if keys:
        store.delete(*keys)


@pytest.fixture
def worker_env():
    return production_env(
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/economy"),
        REDIS_URL=BROKER_URL,
        CELERY_BROKER_URL=BROKER_URL,
        CELERY_RESULT_BACKEND=BROKER_URL,
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        LOG_JSON="false",
    )


def _worker(env, queue, log_path):
    return start_worker(env, queue, log_path, include=["tests.reliability.celery_probe"])


def test_a_task_lost_with_its_worker_runs_again_and_its_effect_happens_once(
    run_id, worker_env, tmp_path
):
    store = redis.Redis.from_url(BROKER_URL)
    queue = run_id
    log = tmp_path / "worker.log"
    sender = Celery("reliability-sender", broker=BROKER_URL, set_as_current=False)
    result = sender.send_task(TASK, args=[BROKER_URL, run_id, 60], queue=queue)

    first = _worker(worker_env, queue, log)
    try:
        wait_until(
            lambda: store.get(f"{run_id}:holding"),
            timeout=60,
            interval=0.2,
            message=f"the first worker to start the task\n{log.read_text()}",
        )
    finally:
        stop(first, signal.SIGKILL)
    assert int(store.get(f"{run_id}:attempts")) == 1
    time.sleep(VISIBILITY_TIMEOUT + 0.5)

    second = _worker(worker_env, queue, log)
    try:
        wait_until(
            lambda: int(store.get(f"{run_id}:attempts") or 0) >= 2,
            timeout=60,
            interval=0.2,
            message=f"the task to be redelivered\n{log.read_text()}",
        )
        wait_until(
            lambda: f"Task {TASK}[{result.id}] succeeded" in log.read_text(),
            timeout=30,
            interval=0.2,
            message=f"the second attempt to finish\n{log.read_text()}",
        )
    finally:
        stop(second)

    assert int(store.get(f"{run_id}:attempts")) == 2
    assert store.smembers(f"{run_id}:effects") == {result.id.encode()}
    store.delete(f"celery-task-meta-{result.id}")
