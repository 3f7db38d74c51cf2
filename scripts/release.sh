#!/usr/bin/env bash
# The one-off steps of a release, run before the service starts: by `make run` locally and by
# docker/entrypoint.sh in a container. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python )}
"$PY" manage.py migrate --noinput
"$PY" manage.py collectstatic --noinput --verbosity 0
