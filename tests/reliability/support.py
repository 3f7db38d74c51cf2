"""Helpers for the fault tests: real processes (redis-server, gunicorn, celery) on spare ports,
always bounded in time and always stopped."""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from tests.scratch import REPO, free_port


def production_env(**overrides):
    """The environment of a server or worker process started the way production starts it:
    this process's environment minus the test run's own settings, plus `overrides`."""
    import secrets
    import uuid

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "CACHE_KEY_PREFIX", "TEST_DATABASE"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        CACHE_KEY_PREFIX=f"reliability-{uuid.uuid4().hex[:8]}",
    )
    env.update(overrides)
    return env


def wait_until(predicate, *, timeout, interval=0.05, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def start(args, *, env=None, log_path=None):
    """A subprocess in its own process group (so stop() reaches its children too)."""
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(
        [str(arg) for arg in args],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process, sig=signal.SIGTERM, timeout=10):
    """Signal the process group of a process started by start(); SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        pass


class RedisServer:
    """A throwaway redis-server on a spare port, nothing persisted; stop() and start() again
    reuse the same port, like a Redis that restarts."""

    def __init__(self, data_dir=None):
        self.port = free_port()
        self.data_dir = data_dir
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        args = ["redis-server", "--port", self.port, "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no"]
        if self.data_dir:
            # Never saved on its own; snapshot() writes the file a restart loads.
            args += ["--dir", self.data_dir, "--dbfilename", "dump.rdb"]
        self.process = start(args)
        wait_until(lambda: port_open(self.port), timeout=10, message="redis-server to listen")

    def snapshot(self):
        import redis

        redis.Redis.from_url(self.url).save()

    def kill(self):
        stop(self.process, signal.SIGKILL)


def http(method, url, *, body=None, headers=None, timeout=10):
    """(status, body bytes) of a request; errors are returned, not raised; no redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
