"""A server started before `collectstatic` ran (another way than the README's) would answer 500
on every admin page (the manifest storage): it refuses to start instead, saying what to run,
and `manage.py check` warns."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from config.preload import refuse_to_serve_without_static_files
from tests.support.processes import WEB_SERVERS, free_port, run

pytestmark = pytest.mark.django_db

MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture
def not_collected(settings, tmp_path):
    settings.STORAGES = MANIFEST_STORAGE
    settings.STATIC_ROOT = str(tmp_path / "never-collected")


def test_the_server_refuses_to_start_before_collectstatic(not_collected):
    with pytest.raises(ImproperlyConfigured, match="collectstatic"):
        refuse_to_serve_without_static_files()


def test_the_checks_say_collectstatic_has_not_run(not_collected):
    with pytest.raises(SystemCheckError, match="collectstatic has not run"):
        call_command("check", "--fail-level", "WARNING")


def test_once_collected_it_starts_and_the_checks_are_clean(settings, tmp_path):
    settings.STORAGES = MANIFEST_STORAGE
    settings.STATIC_ROOT = str(tmp_path / "static")
    call_command("collectstatic", "--noinput", "--verbosity", "0")
    refuse_to_serve_without_static_files()
    call_command("check", "--fail-level", "WARNING")


@pytest.mark.slow
@pytest.mark.parametrize("server", sorted(WEB_SERVERS))
def test_the_web_server_stops_with_the_reason(production_env, server):
    # Granian gives up once its worker has failed to start twice in a row (a crash loop).
    command, server_env = WEB_SERVERS[server](free_port())
    result = run(command, env={**production_env, **server_env, "WEB_CONCURRENCY": "1"}, timeout=60)
    assert result.returncode != 0
    assert "collectstatic" in result.stderr
