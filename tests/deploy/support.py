"""Helpers for the deployment tests: run the real scripts in subprocesses, always bounded."""

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest

from tests.scratch import REPO, VENV_BIN, free_port


def run(args, *, env, timeout=180, **kwargs):
    """subprocess.run from the repository root, output captured as text, always bounded."""
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )


def http_get(url, headers=None, timeout=5):
    """(status, headers, body) of a GET; redirects are returned, not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@contextmanager
def running_gunicorn(env, log_dir, *, startup_timeout=45):
    """Gunicorn with docker/gunicorn.conf.py on a free loopback port; yields its base URL.

    Its stdout (access log) and stderr (gunicorn's and the application's log) go to files in
    log_dir, read by the caller after the block. Stopped with SIGTERM, then SIGKILL.
    """
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
    base_url = f"http://127.0.0.1:{port}"
    stdout = (log_dir / "gunicorn.stdout").open("w")
    stderr = (log_dir / "gunicorn.stderr").open("w")
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "--config",
            "docker/gunicorn.conf.py",
            "config.wsgi:application",
        ],
        cwd=REPO,
        env=env,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"gunicorn exited with {process.returncode} before answering:\n"
                    + (log_dir / "gunicorn.stderr").read_text()
                )
            try:
                http_get(f"{base_url}/api/v1/health", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"gunicorn did not answer within {startup_timeout}s:\n"
                        + (log_dir / "gunicorn.stderr").read_text()
                    )
                time.sleep(0.2)
        yield base_url
    finally:
        _stop(process)
        stdout.close()
        stderr.close()


def _stop(process):
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
