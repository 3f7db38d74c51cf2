"""Gunicorn settings for the web role, every knob overridable from the environment.

    gunicorn --config docker/gunicorn.conf.py config.wsgi:application

Access lines go to stdout and gunicorn's own messages to stderr. With LOG_JSON on (the
production default) both are one JSON object per line, like the application's logs, and
every access line carries the request id the application put in X-Request-ID.
"""

import datetime
import json
import os
import sys

from gunicorn import glogging

# The application's directory, which gunicorn imports the application from (its working
# directory), holds the knobs both web servers share.
sys.path.insert(0, os.getcwd())
from config.web_server import env_bool, env_int, worker_count

# --- Server socket --------------------------------------------------------------------------
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
backlog = env_int("GUNICORN_BACKLOG", 2048)

# --- Workers --------------------------------------------------------------------------------
workers = worker_count()
# Sync workers by default: in `make bench` they match gthread's throughput (within run-to-run
# noise) with half its p99, as threads of one process fight for the GIL (docs/performance.md).
# GUNICORN_THREADS > 1 switches to gthread.
threads = env_int("GUNICORN_THREADS", 1)
timeout = env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = env_int("GUNICORN_KEEPALIVE", 5)
# The application (Django, every view, the cache clients: config/wsgi.py) is imported once in
# the master, then the workers fork from it: a new or recycled worker serves at once instead of
# spending a second of CPU importing, and the imported code is shared between workers. Each
# worker opens its own database and Redis connections on first use.
preload_app = env_bool("GUNICORN_PRELOAD", True)
# Recycle workers now and then so a slow leak never becomes an outage; the jitter keeps them
# from all restarting at once.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", 100)
# Heartbeat files on a tmpfs: a container's overlay filesystem can stall the workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
proc_name = "economy-web"

# The runtime control socket would live under $HOME, which the container user cannot write.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# --- Proxy ----------------------------------------------------------------------------------
# The web container is reached only through the reverse proxy on the compose network, so the
# proxy's X-Forwarded-* headers are trusted from any address there. Narrow it (a comma
# separated list of addresses) when the port is reachable from elsewhere.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")


# --- Bodies the application refuses unread -------------------------------------------------
def pre_request(worker, req):
    """Close the connection after a request whose body Django will refuse without reading it:
    one declared larger than DATA_UPLOAD_MAX_MEMORY_SIZE, or a chunked one (Django reads a body
    only up to its Content-Length). Gunicorn drains a bounded part of an unread body before
    reusing a kept-alive connection and drops the connection when more is left, after telling
    the client it stays open: a pooled client's next request would then go unanswered."""
    from django.conf import settings

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    headers = dict(req.headers)
    length = headers.get("CONTENT-LENGTH", "")
    chunked = "chunked" in headers.get("TRANSFER-ENCODING", "").lower()
    if chunked or (limit and length.isdigit() and int(length) > limit):
        req.force_close()


# --- Logging --------------------------------------------------------------------------------
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms '
    "request_id=%({x-request-id}o)s"
)


class JsonLogger(glogging.Logger):
    """Gunicorn's logger writing JSON lines, with the response's X-Request-ID on access lines."""

    def setup(self, cfg):
        super().setup(cfg)
        from pythonjsonlogger.json import JsonFormatter

        formatter = JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
        for handler in self.error_log.handlers:
            if getattr(handler, "_gunicorn", False):
                handler.setFormatter(formatter)

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        try:
            atoms = self.atoms(resp, req, environ, request_time)
            line = {
                "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
                "level": "INFO",
                "logger": "gunicorn.access",
                "request_id": atoms.get("{x-request-id}o", "-"),
                "method": atoms["m"],
                "path": atoms["U"],
                "query": atoms["q"] or "",
                "status": int(atoms["s"]),
                "bytes": atoms["B"] or 0,
                "duration_ms": atoms["M"],
                "remote_addr": atoms["h"],
                "forwarded_for": atoms.get("{x-forwarded-for}i", "-"),
                "user_agent": atoms["a"],
                "referer": atoms["f"],
            }
            self.access_log.info(json.dumps(line, default=str))
        except Exception:
            self.error_log.exception("Could not write the access log line")


if env_bool("LOG_JSON", True):
    logger_class = JsonLogger
