"""What each web server, as docker/ configures it, answers at the edges of HTTP: a body the
application refuses unread, a chunked body, and the requests the server refuses before the
application sees them (docs/operations.md#which-layer-answers-what)."""

import http.client
import json
import socket
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tests.support.processes import running_web

pytestmark = pytest.mark.slow

# Gunicorn's sync workers (the default), its gthread workers (GUNICORN_THREADS > 1) and granian
# (WEB_SERVER=granian) keep connections alive differently: each must say close when it closes.
WORKER_MODELS = {
    "sync": ("gunicorn", {}),
    "gthread": ("gunicorn", {"GUNICORN_THREADS": "4"}),
    "granian": ("granian", {}),
}


@pytest.fixture(params=sorted(WORKER_MODELS))
def server(request, collected_env, tmp_path):
    web_server, extra = WORKER_MODELS[request.param]
    env = {**collected_env, "SECURE_SSL_REDIRECT": "False", **extra}
    with running_web(web_server, env, tmp_path) as base_url:
        yield request.param, urlsplit(base_url)


def serves_the_next_request(conn):
    conn.request("GET", "/api/v1/health")
    response = conn.getresponse()
    response.read()
    return response.status == 200


def connection_to(url):
    return http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def post(conn, body, headers=None):
    conn.request(
        "POST",
        "/api/v1/auth/token",
        body=body,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    response = conn.getresponse()
    return response, response.read()


def test_an_oversized_body_is_a_json_400_and_gunicorn_says_close(server):
    model, url = server
    conn = connection_to(url)
    body = b'{"username": "' + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b'"}'

    response, content = post(conn, body)

    assert response.status == 400
    assert json.loads(content)["error"]["code"] == "validation_error"
    # Granian then closes the connection, saying so or not, as it happens
    # (docs/operations.md#web-servers): only gunicorn is held to the header.
    if model != "granian":
        assert response.getheader("Connection") == "close"
    conn.close()


def test_a_chunked_body_says_close_or_is_dropped_with_the_connection(server):
    model, url = server
    conn = connection_to(url)
    chunks = iter([b'{"username": "a", ', b'"password": "b"}'])

    response, content = post(conn, chunks, headers={"Transfer-Encoding": "chunked"})

    if model == "granian":
        # Granian passes no length, so the application reads no body; then it drops the
        # connection without saying so (docs/operations.md: why gunicorn stays the default).
        assert response.status == 400
        details = json.loads(content)["error"]["details"]
        assert details["username"] == ["This field is required."]
        with pytest.raises(ConnectionError):  # reset, or a broken pipe
            serves_the_next_request(conn)
    else:
        assert response.getheader("Connection") == "close"
    conn.close()


def test_a_small_refused_body_keeps_the_connection_usable(server):
    model, url = server
    conn = connection_to(url)

    first, content = post(conn, b'{"username": 1}')
    assert first.status == 400
    assert json.loads(content)["error"]["code"] == "validation_error"
    # Sync workers close every connection and say so; gthread and granian keep this one, and
    # serve the next request on it.
    if model == "sync":
        assert first.getheader("Connection") == "close"
    else:
        assert first.getheader("Connection") in ("keep-alive", None)  # HTTP/1.1's default
        assert serves_the_next_request(conn)
    conn.close()


def raw_request(url, request_bytes):
    """(status line, headers and body) of one request written as raw bytes."""
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request_bytes)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), head.decode("latin-1").lower(), body


HEALTH = b"GET /api/v1/health"
# What each server refuses itself: gunicorn with a short HTML page, granian with an empty body.
REFUSED = {
    "gunicorn": [
        (HEALTH + b" HTTP/1.1\r\nHost: a\r\nX-Bad: a\x01b\r\n\r\n", 400),
        (HEALTH + b" HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 16384 + b"\r\n\r\n", 431),
        (HEALTH + b"?" + b"a" * 5000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
    ],
    "granian": [
        (HEALTH + b" HTTP/1.1\r\nHost: a\r\nX-Bad: a\x01b\r\n\r\n", 400),
        (HEALTH + b" HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 600_000 + b"\r\n\r\n", 431),
    ],
}


def test_the_server_refuses_a_malformed_request_itself_and_closes(server):
    """Documented as answered by the server before the application sees the request: the
    reverse proxy in front usually refuses these first, with its own page."""
    model, url = server
    web_server = WORKER_MODELS[model][0]
    for request_bytes, status in REFUSED[web_server]:
        status_line, head, body = raw_request(url, request_bytes)
        assert status_line.split()[1] == str(status), request_bytes[:60]
        assert "connection: close" in head
        if web_server == "gunicorn":
            assert "content-type: text/html" in head
        else:
            assert body == b""
