"""The Celery app: JSON only, late acks for tasks safe to rerun, every task discovered."""

from config.celery import app

TASKS = (
    "economy.inventory.reset_inventory_cache",
    "economy.common.purge_idempotency_keys",
    "economy.ledger.warm_popular_products",
    "economy.accounts.purge_expired_tokens",
)


def test_the_app_speaks_json_only():
    assert app.conf.task_serializer == "json"
    assert app.conf.result_serializer == "json"
    assert app.conf.accept_content == ["json"]


def test_every_periodic_task_is_discovered_and_safe_to_rerun():
    app.loader.import_default_modules()
    for name in TASKS:
        task = app.tasks[name]
        assert task.acks_late is True, name
        assert task.reject_on_worker_lost is True, name


def test_broker_and_results_come_from_redis_url(settings):
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert settings.CELERY_BROKER_URL == settings.REDIS_URL
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
