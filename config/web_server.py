"""The environment as both web servers read it (docker/gunicorn.conf.py and
docker/granian_server.py): typed knobs and the worker count."""

import os


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count() -> int:
    """WEB_CONCURRENCY, else the classic 2 x CPU + 1 capped at GUNICORN_MAX_WORKERS (8): the
    host's CPU count is not the container's CPU quota, and every worker holds its own database
    connections."""
    return env_int("WEB_CONCURRENCY", min(2 * _cpu_count() + 1, env_int("GUNICORN_MAX_WORKERS", 8)))
