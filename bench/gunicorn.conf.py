"""Gunicorn for `make bench`: a side's own production settings, then only what a benchmark must
pin. bench/run.py passes the rest on the command line (bind, workers, the worker model).

    BENCH_PRODUCTION_CONFIG  the measured tree's docker/gunicorn.conf.py (the baseline's for
                             the baseline), when it has one
"""

import os
from pathlib import Path

_production = Path(os.environ.get("BENCH_PRODUCTION_CONFIG", ""))
if _production.is_file():
    exec(compile(_production.read_text(), str(_production), "exec"))

# A worker recycled in the middle of a 30 s run would be measured as a hiccup of the bench,
# not of the service; production's recycling stays in production.
max_requests = 0
# Stopping a server between phases should not wait for production's 30 s.
graceful_timeout = 5
accesslog = "-"
errorlog = "-"
