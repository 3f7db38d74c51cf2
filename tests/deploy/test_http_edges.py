"""What gunicorn, as docker/gunicorn.conf.py runs it, answers at the edges of HTTP: a body the
application refuses unread closes the connection and says so, and the requests gunicorn refuses
before the application sees them (docs/operations.md#which-layer-answers-what)."""

import http.client
import json
import socket
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tests.support.processes import running_gunicorn

pytestmark = pytest.mark.slow

# Sync workers (production's default) and gthread (GUNICORN_THREADS > 1) keep connections
# alive differently: both must say close when they close.
WORKER_MODELS = {"sync": {}, "gthread": {"GUNICORN_THREADS": "4"}}


@pytest.fixture(params=sorted(WORKER_MODELS))
def server(request, collected_env, tmp_path):
    env = {**collected_env, "SECURE_SSL_REDIRECT": "False", **WORKER_MODELS[request.param]}
    with running_gunicorn(env, tmp_path) as base_url:
        yield request.param, urlsplit(base_url)


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


def test_an_oversized_body_is_a_json_400_and_the_connection_says_close(server):
    _, url = server
    conn = connection_to(url)
    body = b'{"username": "' + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b'"}'

    response, content = post(conn, body)

    assert response.status == 400
    assert json.loads(content)["error"]["code"] == "validation_error"
    assert response.getheader("Connection") == "close"
    conn.close()


def test_a_chunked_body_says_close(server):
    _, url = server
    conn = connection_to(url)
    chunks = iter([b'{"username": "a", ', b'"password": "b"}'])

    response, _ = post(conn, chunks, headers={"Transfer-Encoding": "chunked"})

    assert response.getheader("Connection") == "close"
    conn.close()


def test_a_small_refused_body_keeps_the_connection_usable(server):
    model, url = server
    conn = connection_to(url)

    first, content = post(conn, b'{"username": 1}')
    assert first.status == 400
    assert json.loads(content)["error"]["code"] == "validation_error"
    # Sync workers close every connection and say so; gthread keeps this one, and serves the
    # next request on it.
    assert first.getheader("Connection") == ("close" if model == "sync" else "keep-alive")
    if model == "gthread":
        conn.request("GET", "/api/v1/health")
        assert conn.getresponse().status == 200
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


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /api/v1/health HTTP/1.1\r\nHost: a\r\nX-Bad: a\x01b\r\n\r\n", 400),
        (b"GET /api/v1/health HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 16384 + b"\r\n\r\n", 431),
        (b"GET /api/v1/health?" + b"a" * 5000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
    ],
    ids=["control byte in a header", "16 KB header", "5 KB URL"],
)
def test_gunicorn_refuses_a_malformed_request_itself_and_closes(server, request_bytes, status):
    """Documented as answered by gunicorn, in HTML, before the application sees the request:
    the reverse proxy in front usually refuses these first, with its own page."""
    _, url = server
    status_line, head, _ = raw_request(url, request_bytes)
    assert status_line.split()[1] == str(status)
    assert "content-type: text/html" in head
    assert "connection: close" in head
