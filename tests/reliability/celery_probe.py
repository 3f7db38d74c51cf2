"""A task for test_celery_worker_loss.py only, loaded into a real worker with --include.

It uses the app's defaults (CELERY_TASK_ACKS_LATE, CELERY_TASK_REJECT_ON_WORKER_LOST from the
settings), records every attempt, applies its effect keyed by the task id (the way a task of
the service must be idempotent), then holds on the first attempt, after its effect and before
its acknowledgement, which is where the test kills the worker.
"""

import time

import redis

from config.celery import app


@app.task(name="tests.reliability.celery_probe.effect_once", bind=True)
def effect_once(self, store_url, run_id, hold_seconds):
    store = redis.Redis.from_url(store_url)
    attempt = store.incr(f"{run_id}:attempts")
    # The effect: one atomic, idempotent write keyed by the task id, so a redelivery finds it
    # already applied.
    store.sadd(f"{run_id}:effects", self.request.id)
    if attempt == 1:
        store.set(f"{run_id}:holding", 1)
        time.sleep(hold_seconds)
    return attempt
