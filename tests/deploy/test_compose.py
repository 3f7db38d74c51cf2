"""docker-compose.yml is valid and wires the roles as documented; .env.example is complete."""

import re
import shutil
import subprocess

import pytest
import yaml

from tests.support.processes import REPO

COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"


def compose_command():
    """`docker compose` (the plugin), else the standalone `docker-compose`, else None."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=30
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    return [standalone] if standalone else None


def test_docker_compose_config_is_valid(tmp_path):
    command = compose_command()
    if command is None:
        pytest.skip("neither the docker compose plugin nor docker-compose is installed")
    # A copy beside a .env made from the example: the work tree's own .env, if any, is not
    # what a fresh checkout has.
    shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")

    result = subprocess.run(
        [*command, "-f", str(tmp_path / "docker-compose.yml"), "config", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_every_role_from_one_image_after_healthy_dependencies():
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}

    for role in ("web", "worker", "beat"):
        service = services[role]
        assert service["build"] == {"context": ".", "dockerfile": "docker/Dockerfile"}
        assert service["command"] == [role]
        assert service["env_file"] == ".env"
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        for dependency in ("postgres", "redis"):
            assert service["depends_on"][dependency] == {"condition": "service_healthy"}
    # Workers and beat start once web has run the migrations and answers its health check.
    assert services["worker"]["depends_on"]["web"] == {"condition": "service_healthy"}
    assert services["beat"]["depends_on"]["web"] == {"condition": "service_healthy"}
    assert services["web"]["healthcheck"]["test"] == ["CMD", "python", "docker/healthcheck.py"]

    assert services["postgres"]["image"] == "postgres:16"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["image"] == "redis:7"
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert set(compose["volumes"]) == {"postgres-data", "redis-data"}


# Read by the settings but meaningless, or fixed, in a production container.
NOT_FOR_PRODUCTION = {"DEBUG", "SQLITE_PATH", "STATIC_ROOT", "CELERY_TASK_ALWAYS_EAGER"}


def test_env_example_lists_every_variable_the_settings_read():
    settings_source = "\n".join(
        path.read_text()
        for path in (REPO / "config" / "settings").glob("*.py")
        if path.name != "test.py"
    )
    read = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", settings_source))
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE)
    )

    missing = read - NOT_FOR_PRODUCTION - documented
    assert not missing, f".env.example does not mention {sorted(missing)}"
