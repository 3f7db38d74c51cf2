"""docker/entrypoint.sh against the local PostgreSQL: waits for it, runs the release steps once
for the roles that should, then becomes the requested command."""

import subprocess
from pathlib import Path

import pytest

from tests.support.processes import REPO, connect, free_port, http_get, run, stop, wait_until

ENTRYPOINT = REPO / "docker" / "entrypoint.sh"


def applied_migrations(url):
    with connect(url) as conn:
        exists = conn.execute("SELECT to_regclass('public.django_migrations')").fetchone()[0]
        if exists is None:
            return []
        return conn.execute("SELECT app, name FROM django_migrations ORDER BY id").fetchall()


@pytest.mark.slow
def test_entrypoint_runs_release_steps_then_the_command_and_twice_is_fine(
    production_env, scratch_database
):
    env = {**production_env, "DATABASE_URL": scratch_database, "RUN_RELEASE": "1"}
    command = [ENTRYPOINT, "python", "-c", "print('ready')"]

    first = run(command, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.strip().endswith("ready"), first.stdout
    assert "PostgreSQL at" in first.stderr and "is ready" in first.stderr, first.stderr
    migrations = applied_migrations(scratch_database)
    apps = {app for app, _ in migrations}
    assert {"accounts", "django_celery_beat", "authtoken", "sessions"} <= apps, apps
    # collectstatic ran into STATIC_ROOT, with whitenoise's manifest.
    assert (Path(env["STATIC_ROOT"]) / "staticfiles.json").exists()

    second = run(command, env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "No migrations to apply" in second.stdout, second.stdout
    assert second.stdout.strip().endswith("ready")
    assert applied_migrations(scratch_database) == migrations


def test_entrypoint_skips_release_steps_for_other_roles(production_env, scratch_database):
    # worker, beat and one-off commands only wait for the database.
    env = {**production_env, "DATABASE_URL": scratch_database}
    env.pop("RUN_RELEASE", None)

    result = run([ENTRYPOINT, "python", "-c", "print('ran')"], env=env, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ran"
    assert "running release steps" not in result.stderr
    assert applied_migrations(scratch_database) == []


@pytest.mark.slow
def test_concurrent_releases_take_turns_on_a_fresh_database(production_env, scratch_database):
    # `docker compose up --scale web=3` starts several web containers, each running the
    # release steps; the advisory lock keeps their migrations from colliding.
    env = {**production_env, "DATABASE_URL": scratch_database, "RELEASE_COLLECTSTATIC": "0"}
    processes = [
        subprocess.Popen(
            [str(ENTRYPOINT), "release"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = []
    try:
        for process in processes:
            outputs.append(process.communicate(timeout=240)[0])
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)

    assert [p.returncode for p in processes] == [0, 0, 0], "\n---\n".join(outputs)
    assert sum("No migrations to apply" in output for output in outputs) == 2, outputs
    assert applied_migrations(scratch_database)


def test_wait_for_db_gives_up_when_postgresql_is_unreachable(production_env):
    # Nothing listens on port 1 of the loopback interface: connection refused at once.
    env = {**production_env, "DATABASE_URL": "postgres://postgres@127.0.0.1:1/economy"}
    result = run(
        ["python", "scripts/wait_for_db.py", "--timeout", "2", "--interval", "0.5"],
        env=env,
        timeout=30,
    )

    assert result.returncode == 1
    assert "still unavailable after 2s" in result.stderr, result.stderr


def test_the_web_role_refuses_an_unknown_server(production_env):
    env = {**production_env, "WEB_SERVER": "uwsgi", "WAIT_FOR_DB": "0", "RUN_RELEASE": "0"}

    result = run([ENTRYPOINT, "web"], env=env, timeout=60)

    assert result.returncode == 64
    assert "WEB_SERVER must be granian or gunicorn, not 'uwsgi'" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("server", ["granian", "gunicorn"])
def test_the_web_role_starts_the_server_web_server_names(
    collected_env, scratch_database, server, tmp_path
):
    port = free_port()
    env = {
        **collected_env,
        "DATABASE_URL": scratch_database,
        "WEB_SERVER": server,
        "RUN_RELEASE": "0",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "SECURE_SSL_REDIRECT": "False",
    }
    log = (tmp_path / "web.log").open("w")
    # A session of its own: stop() signals the process group, the server and its workers.
    process = subprocess.Popen(
        [str(ENTRYPOINT), "web"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:

        def answers():
            try:
                return http_get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)[0] == 200
            except OSError:
                return False

        wait_until(answers, timeout=45, message=f"{server} to answer")
        assert process.poll() is None
    finally:
        stop(process, timeout=20)
        log.close()
    # The entry point became the server: its own startup lines name it.
    assert server in (tmp_path / "web.log").read_text().lower()
