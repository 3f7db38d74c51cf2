"""Gunicorn for `make bench`: production's own settings (docker/gunicorn.conf.py, when it is
there), then only what a benchmark must pin, from BENCH_* variables set by bench/run.py.

    BENCH_BIND          127.0.0.1:PORT
    BENCH_WORKERS       worker processes
    BENCH_THREADS       threads per worker; > 1 means the gthread worker, 1 the sync worker
    BENCH_WORKER_CLASS  another worker class instead (the asgi model: uvicorn's worker)
    BENCH_ACCESS_LOG    1 (default) keeps production's access log, 0 turns it off
"""

import os
from pathlib import Path

_production = Path(__file__).resolve().parent.parent / "docker" / "gunicorn.conf.py"
if _production.exists():
    exec(compile(_production.read_text(), str(_production), "exec"))

bind = os.environ["BENCH_BIND"]
workers = int(os.environ.get("BENCH_WORKERS", "5"))
threads = int(os.environ.get("BENCH_THREADS", "1"))
worker_class = os.environ.get("BENCH_WORKER_CLASS") or ("gthread" if threads > 1 else "sync")
# A worker recycled in the middle of a 30 s run would be measured as a hiccup of the bench,
# not of the service; production's recycling stays in production.
max_requests = 0
timeout = 30
graceful_timeout = 5
keepalive = 5
control_socket_disable = True
accesslog = None if os.environ.get("BENCH_ACCESS_LOG", "1") == "0" else "-"
errorlog = "-"
