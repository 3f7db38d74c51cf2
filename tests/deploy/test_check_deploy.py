"""`manage.py check --deploy` is clean under the production settings, and those settings refuse
to start without the secrets a deployment must provide."""

import pytest

from tests.support.processes import REPO, run


@pytest.mark.slow
def test_check_deploy_is_clean_under_production_settings(production_env):
    collected = run(["python", "manage.py", "collectstatic", "--noinput"], env=production_env)
    assert collected.returncode == 0, collected.stderr
    result = run(
        ["python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output.upper(), output
    assert "System check identified no issues" in output, output


def _dotenv_defines(name):
    # The settings also read a .env in the project directory; a developer's own would mask
    # the missing variable.
    dotenv = REPO / ".env"
    return dotenv.exists() and any(
        line.strip().startswith(f"{name}=") for line in dotenv.read_text().splitlines()
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY is empty"),
        ({"SECRET_KEY": "change-me-to-a-long-random-string"}, "SECRET_KEY is still the"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is empty"),
        ({"DATABASE_URL": None}, "DATABASE_URL must point at PostgreSQL"),
        ({"REDIS_URL": None}, "REDIS_URL is not set"),
    ],
    ids=[
        "no-secret-key",
        "empty-secret-key",
        "placeholder-secret-key",
        "no-allowed-hosts",
        "empty-allowed-hosts",
        "no-database-url",
        "no-redis-url",
    ],
)
def test_production_settings_refuse_to_start_without_secrets(production_env, changes, expected):
    env = dict(production_env)
    for name, value in changes.items():
        if value is None:
            if _dotenv_defines(name):
                pytest.skip(f"{REPO / '.env'} defines {name}")
            env.pop(name, None)
        else:
            env[name] = value

    result = run(["python", "manage.py", "check"], env=env, timeout=60)

    assert result.returncode != 0
    assert "ImproperlyConfigured: Production settings:" in result.stderr, result.stderr
    assert expected in result.stderr, result.stderr
