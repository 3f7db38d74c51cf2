#!/usr/bin/env bash
# The one-off steps of a release, run before the service starts: by `make run` locally and by
# docker/entrypoint.sh in a container. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python )}

# Several containers may start at once (docker compose up --scale web=3): on PostgreSQL the
# steps run under an advisory lock, one release at a time; the later ones find nothing to do.
if [ -z "${RELEASE_LOCK_HELD:-}" ]; then
    export RELEASE_LOCK_HELD=1
    exec "$PY" scripts/with_release_lock.py -- scripts/release.sh "$@"
fi

# Static files first: the system checks that migrate runs look for their manifest. The image
# collects them at build time and sets RELEASE_COLLECTSTATIC=0.
if [ "${RELEASE_COLLECTSTATIC:-1}" = 1 ]; then
    "$PY" manage.py collectstatic --noinput --verbosity 0
fi
"$PY" manage.py migrate --noinput
# Celery beat's periodic tasks (the migration creates them too; this repairs a deleted one).
"$PY" manage.py setup_schedules
