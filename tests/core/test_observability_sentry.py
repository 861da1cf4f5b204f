"""Sentry is optional, and what it sends carries no token and no personal data.

The end-to-end test points the real SDK (its HTTP transport) at a capture server on
loopback: no internet, the real envelope on the wire.
"""

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from wsgiref.util import setup_testing_defaults

import pytest
import sentry_sdk
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpRequest
from django.urls import path

from core.observability.sentry import scrub_event, sentry_init


def _explode(request: HttpRequest):
    raise RuntimeError("refresh failed for ann.lee@example.com: access_token=at-SECRET-1 Bearer bt-SECRET-22222")


urlpatterns = [path("explode/", _explode)]


class _Capture(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        type(self).bodies.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def capture_server():
    _Capture.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def sentry_off_afterwards():
    yield
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def _events(bodies: list[bytes]) -> list[dict]:
    events = []
    for body in bodies:
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


def test_no_dsn_no_sentry():
    assert sentry_init(dsn="") is False
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_an_error_reaches_sentry_without_tokens_or_personal_data(capture_server, sentry_off_afterwards):
    port = capture_server.server_address[1]
    assert sentry_init(dsn=f"http://publickey@127.0.0.1:{port}/42", environment="test") is True
    assert sentry_sdk.get_client().is_active()

    # Through Django's WSGI handler, as gunicorn calls it (the SDK hooks in there).
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/explode/", "QUERY_STRING": "code=oauth-SECRET-4&state=st-SECRET-5&page=2",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "REMOTE_ADDR": "203.0.113.9",
        "HTTP_HOST": "testserver", "HTTP_AUTHORIZATION": "Bearer hdr-SECRET-6", "HTTP_COOKIE": "sessionid=session-SECRET-3",
        "HTTP_X_REQUEST_ID": "req-sentry-1", "HTTP_USER_AGENT": "pytest",
    }
    setup_testing_defaults(environ)
    statuses = []
    # As Django's test client does: the handler must not close the test's database connection
    # between requests (on PostgreSQL the test's transaction would go with it).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(WSGIHandler()(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert statuses[0].startswith("500") and body
    sentry_sdk.flush(timeout=5)

    [event] = _events(_Capture.bodies)
    wire = json.dumps(event)
    for secret in ("SECRET", "ann.lee@example.com", "203.0.113.9"):
        assert secret not in wire, f"{secret} reached Sentry"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert "[email]" in event["exception"]["values"][-1]["value"]
    request = event["request"]
    assert request["url"] == "http://testserver/explode/" and request["method"] == "GET"
    assert "page=2" in request["query_string"] and "code=[redacted]" in request["query_string"]
    assert not {"authorization", "cookie"} & {name.lower() for name in request.get("headers", {})}
    assert "cookies" not in request and "data" not in request
    assert event["tags"]["request_id"] == "req-sentry-1"
    assert event["environment"] == "test"
    # No local variables in the stack (a frame's locals may hold a token).
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    assert frames and not any("vars" in frame for frame in frames)


def test_scrub_event_takes_out_credentials_and_people():
    event = {
        "message": "could not refresh ann@example.org's connection: refresh_token=rt-1",
        "request": {
            "url": "https://chorus.example.com/connect/x/callback",
            "query_string": "code=c-1&state=s-1&lang=de",
            "headers": {"Authorization": "Token api-1", "Cookie": "sessionid=s-2", "User-Agent": "Firefox",
                        "X-Forwarded-For": "203.0.113.9"},
            "cookies": {"sessionid": "s-2"},
            "data": {"text": "my words", "password": "p-1"},
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "user": {"id": 7, "email": "ann@example.org", "ip_address": "203.0.113.9"},
        "breadcrumbs": {"values": [{"message": "GET https://api.x.com/2/users/me Authorization: Bearer b-123456789"}]},
        "extra": {"nested": [{"note": "client_secret=cs-1 sent to bob@example.net"}]},
    }
    scrubbed = scrub_event(event, {})
    wire = json.dumps(scrubbed)
    for leaked in ("rt-1", "c-1", "s-1", "api-1", "s-2", "p-1", "b-123456789", "cs-1", "@example", "203.0.113.9",
                   "my words"):
        assert leaked not in wire, leaked
    assert scrubbed["request"]["query_string"] == "code=[redacted]&state=[redacted]&lang=de"
    assert scrubbed["request"]["headers"] == {"User-Agent": "Firefox"}
    assert scrubbed["user"] == {"id": 7}
    assert scrubbed["message"] == "could not refresh [email]'s connection: refresh_token=[redacted]"
