"""Either web server, as docker/entrypoint.sh runs it (granian by default, gunicorn with
WEB_SERVER=gunicorn), with the production settings, serves the API, the admin's static files
(whitenoise) and writes JSON logs carrying the request id."""

import json
import uuid

import pytest

from tests.support.processes import WEB_SERVERS, http_get, run, running_web


def json_lines(path):
    lines = []
    for line in path.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


# Each server's loggers: its access lines, and its own messages.
LOGGERS = {
    "granian": ("granian.access", "_granian"),
    "gunicorn": ("gunicorn.access", "gunicorn.error"),
}

pytestmark = pytest.mark.parametrize("server", sorted(WEB_SERVERS))


@pytest.mark.slow
def test_it_serves_health_and_admin_static_with_request_ids(server, collected_env, tmp_path):
    env = {**collected_env, "SECURE_SSL_REDIRECT": "False"}
    request_id = f"deploy-smoke-{uuid.uuid4().hex[:8]}"

    with running_web(server, env, tmp_path) as base_url:
        status, headers, body = http_get(
            f"{base_url}/api/v1/health", headers={"X-Request-ID": request_id}
        )
        assert status == 200
        assert headers["Content-Type"].startswith("application/json")
        assert json.loads(body) == {"status": "ok"}
        assert headers["X-Request-ID"] == request_id

        status, headers, body = http_get(f"{base_url}/static/admin/css/base.css")
        assert status == 200
        assert headers["Content-Type"].startswith("text/css")
        assert len(headers["X-Request-ID"]) == 32  # generated when the client sends none
        assert b"body" in body

        manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
        hashed = manifest["paths"]["admin/css/base.css"]
        status, headers, _ = http_get(f"{base_url}/static/{hashed}")
        assert status == 200
        assert headers["Content-Type"].startswith("text/css")
        assert "immutable" in headers["Cache-Control"]

        # The image's health check script, as the web container runs it.
        port = base_url.rsplit(":", 1)[1]
        check = run(["python", "docker/healthcheck.py"], env={**env, "PORT": port}, timeout=30)
        assert check.returncode == 0, check.stderr

    access_logger, own_logger = LOGGERS[server]
    access = json_lines(tmp_path / f"{server}.stdout")
    health_line = next(line for line in access if line.get("request_id") == request_id)
    assert health_line["logger"] == access_logger
    assert health_line["path"] == "/api/v1/health"
    assert health_line["status"] == 200
    # The server's own lines are JSON too.
    errors = json_lines(tmp_path / f"{server}.stderr")
    assert any(line.get("logger") == own_logger for line in errors)


@pytest.mark.slow
def test_application_log_lines_carry_the_request_id(server, collected_env, tmp_path):
    env = {**collected_env, "SECURE_SSL_REDIRECT": "False"}
    request_id = f"deploy-missing-{uuid.uuid4().hex[:8]}"

    with running_web(server, env, tmp_path) as base_url:
        status, headers, body = http_get(
            f"{base_url}/api/v1/no-such-endpoint", headers={"X-Request-ID": request_id}
        )
        assert status == 404
        assert headers["X-Request-ID"] == request_id
        assert json.loads(body)["error"]["code"] == "not_found"

    app_log = json_lines(tmp_path / f"{server}.stderr")
    not_found = [line for line in app_log if line.get("logger") == "django.request"]
    assert not_found, (tmp_path / f"{server}.stderr").read_text()
    assert not_found[0]["level"] == "WARNING"
    assert not_found[0]["request_id"] == request_id


@pytest.mark.slow
def test_https_redirect_spares_the_health_check_and_trusts_the_proxy(
    server, collected_env, tmp_path
):
    # SECURE_SSL_REDIRECT at its production default.
    env = dict(collected_env)
    env.pop("SECURE_SSL_REDIRECT", None)

    with running_web(server, env, tmp_path) as base_url:
        status, headers, _ = http_get(f"{base_url}/api/v1/health")
        assert status == 200, "container health checks speak plain http"

        status, headers, _ = http_get(f"{base_url}/admin/login/")
        assert status == 301
        assert headers["Location"].startswith("https://")

        status, headers, _ = http_get(
            f"{base_url}/static/admin/css/base.css", headers={"X-Forwarded-Proto": "https"}
        )
        assert status == 200
        assert headers["Content-Type"].startswith("text/css")
        assert "max-age=31536000" in headers["Strict-Transport-Security"]


@pytest.mark.slow
def test_plain_access_lines_without_log_json(server, collected_env, tmp_path):
    env = {**collected_env, "SECURE_SSL_REDIRECT": "False", "LOG_JSON": "False"}
    request_id = f"deploy-plain-{uuid.uuid4().hex[:8]}"

    with running_web(server, env, tmp_path) as base_url:
        status, _, _ = http_get(f"{base_url}/api/v1/health", headers={"X-Request-ID": request_id})
        assert status == 200

    access = (tmp_path / f"{server}.stdout").read_text()
    line = next(line for line in access.splitlines() if request_id in line)
    assert '"GET /api/v1/health HTTP/1.1" 200' in line
