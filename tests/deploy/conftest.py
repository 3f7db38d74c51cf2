"""Fixtures for the deployment tests: they run the real scripts in subprocesses, with the
production settings, against the local PostgreSQL and Redis that `make test` points at."""

import os

import pytest

from tests.support import processes as scratch
from tests.support.processes import DEFAULT_REDIS_URL, VENV_BIN, database_url, run


@pytest.fixture
def production_env(tmp_path):
    """The environment of a production container, on this machine.

    PATH starts with the venv's bin/ so `python`, `gunicorn` and `celery` resolve as they do in
    the image; static files go to a temporary STATIC_ROOT, never into the work tree.
    """
    return scratch.production_env(
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        ALLOWED_HOSTS="economy.example.com,127.0.0.1,localhost",
        CSRF_TRUSTED_ORIGINS="https://economy.example.com",
        DATABASE_URL=database_url(),
        REDIS_URL=os.environ.get("REDIS_URL", DEFAULT_REDIS_URL),
        CACHE_KEY_PREFIX=f"economy-deploy-test-{os.getpid()}",
        STATIC_ROOT=str(tmp_path / "static"),
        PYTHONUNBUFFERED="1",
    )


@pytest.fixture
def scratch_database():
    """A fresh, empty database on the local server; its URL. Dropped afterwards."""
    with scratch.scratch_database("economy_deploy") as url:
        yield url


@pytest.fixture
def collected_env(production_env):
    """production_env once collectstatic has filled its STATIC_ROOT, as the release step does."""
    result = run(["python", "manage.py", "collectstatic", "--noinput"], env=production_env)
    assert result.returncode == 0, result.stdout + result.stderr
    return production_env
