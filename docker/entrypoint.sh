#!/usr/bin/env bash
# Container entry point. The first argument is the role:
#   web      the HTTP server WEB_SERVER names: gunicorn (docker/gunicorn.conf.py, the default)
#            or granian (docker/granian_server.py); runs the release steps first
#   worker   celery worker
#   beat     celery beat with the database scheduler of django-celery-beat
#   release  the release steps alone, then exit (a one-off job: migrations and the like)
#   anything else is executed as given, e.g. `docker compose run --rm web python manage.py shell`
# Every role first waits for PostgreSQL. Release steps (scripts/release.sh) run for web and
# release, or for any role when RUN_RELEASE=1; RUN_RELEASE=0 skips them everywhere. Extra
# arguments after web (gunicorn only: granian takes its knobs from the environment),
# worker and beat go to the server or celery.
set -euo pipefail
cd "$(dirname "$0")/.."

role=${1:-web}
case "$role" in
    web|worker|beat|release) if [ "$#" -gt 0 ]; then shift; fi ;;
esac

case "$role" in
    web|release) default_release=1 ;;
    *) default_release=0 ;;
esac
run_release=${RUN_RELEASE:-$default_release}

if [ "${WAIT_FOR_DB:-1}" = 1 ]; then
    python scripts/wait_for_db.py
fi
if [ "$run_release" = 1 ]; then
    echo "entrypoint: running release steps" >&2
    PYTHON=python ./scripts/release.sh
fi

case "$role" in
    web)
        case "${WEB_SERVER:-gunicorn}" in
            gunicorn) exec gunicorn --config docker/gunicorn.conf.py config.wsgi:application "$@" ;;
            granian) exec python docker/granian_server.py "$@" ;;
            *) echo "entrypoint: WEB_SERVER must be granian or gunicorn, not '$WEB_SERVER'" >&2
               exit 64 ;;
        esac ;;
    worker)
        exec celery -A config worker -l "${CELERY_LOG_LEVEL:-info}" "$@" ;;
    beat)
        exec celery -A config beat -l "${CELERY_LOG_LEVEL:-info}" \
            --scheduler django_celery_beat.schedulers:DatabaseScheduler "$@" ;;
    release)
        exit 0 ;;
    *)
        exec "$@" ;;
esac
