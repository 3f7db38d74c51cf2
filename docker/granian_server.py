"""Granian for the web role (WEB_SERVER=granian), every knob overridable from the
environment, the same knobs as docker/gunicorn.conf.py where both servers have them.

    python docker/granian_server.py

Granian (a Rust HTTP server) keeps client connections alive and parses HTTP outside Python;
each worker process runs one request at a time through the WSGI application, as gunicorn's
sync workers do. It serves cached reads faster than gunicorn but no money request, with worse
tail latencies, so gunicorn stays the default (docs/operations.md#web-servers). Access lines go
to stdout and granian's own messages to stderr; with LOG_JSON on (the production default) both
are one JSON object per line, like the application's logs.
"""

import datetime
import json
import logging
import os
import sys

from granian.constants import Interfaces
from granian.log import DEFAULT_ACCESSLOG_FMT, LogLevels
from granian.server import Server

# The application's directory (the working directory) holds the knobs both web servers share.
sys.path.insert(0, os.getcwd())
from config.web_server import env_bool, env_int, worker_count

# Granian's own access line with the request id the proxy sent: the line as is without
# LOG_JSON; with it, AccessJsonFormatter reads the same fields (the header is field "_h0").
ACCESS_FORMAT = DEFAULT_ACCESSLOG_FMT + " request_id=%(header{x-request-id})s"


class AccessJsonFormatter(logging.Formatter):
    """Granian's access record (its fields as the record's args) as one JSON line, with the
    request id the proxy sent in X-Request-ID ("-" when it sent none)."""

    def format(self, record):
        atoms = record.args if isinstance(record.args, dict) else {}
        return json.dumps(
            {
                "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
                "level": "INFO",
                "logger": "granian.access",
                "request_id": atoms.get("_h0", "-"),
                "method": atoms.get("method"),
                "path": atoms.get("path"),
                "query": atoms.get("query_string") or "",
                "status": atoms.get("status"),
                "duration_ms": round(atoms.get("dt_ms", 0.0), 3),
                "remote_addr": atoms.get("addr"),
                "protocol": atoms.get("protocol"),
            },
            default=str,
        )


def _logging():
    """The dictConfig of granian's two loggers: JSON lines when LOG_JSON is on."""
    if env_bool("LOG_JSON", True):
        generic = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        access = {"()": AccessJsonFormatter}
    else:
        generic = {"format": "[%(asctime)s] [%(levelname)s] %(message)s"}
        access = {"format": "%(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"generic": generic, "access": access},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "generic",
                        "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "access",
                       "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "_granian": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "granian.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }  # fmt: skip


def server():
    return Server(
        "config.wsgi:application",
        interface=Interfaces.WSGI,
        address=os.environ.get("GRANIAN_HOST", "0.0.0.0"),  # noqa: S104 (inside the container)
        port=env_int("PORT", 8000),
        workers=worker_count(),
        # One request at a time per worker: threads of one process would fight for the GIL.
        blocking_threads=1,
        backlog=env_int("GRANIAN_BACKLOG", 2048),
        log_level=LogLevels(os.environ.get("GRANIAN_LOG_LEVEL", "info")),
        log_dictconfig=_logging(),
        log_access=env_bool("GRANIAN_ACCESS_LOG", True),
        log_access_format=ACCESS_FORMAT,
        # A worker that dies is replaced; one that grows past the limit (a slow leak) is
        # recycled, as gunicorn's max_requests does.
        respawn_failed_workers=True,
        workers_max_rss=env_int("GRANIAN_WORKERS_MAX_RSS_MIB", 1024),
        # Seconds a worker may take to finish its request on shutdown before it is killed.
        workers_kill_timeout=env_int("GRANIAN_WORKERS_KILL_TIMEOUT", 30),
    )


if __name__ == "__main__":
    if sys.argv[1:]:
        sys.exit("docker/granian_server.py takes no arguments: its knobs are environment variables")
    server().serve()
