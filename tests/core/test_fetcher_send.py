"""``core.fetcher.send()`` (one request of any method, the answer whatever its status) and
what ``fetch()`` gained with it: extra headers (credentials not carried to another origin)
and a caller's own allow-list (``also_allow``) on top of ``FETCHER_ALLOWED_HOSTS``.
Against a real HTTP server on loopback."""

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core import ssrf
from core.fetcher import BlockedAddress, TooLarge, fetch, send
from core.http import USER_AGENT

Handler = Callable[[BaseHTTPRequestHandler, bytes], tuple[int, dict[str, str], bytes]]


class Server:
    """Routes by path; each request is kept as (method, path, headers, body)."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        outer = self

        class Handle(BaseHTTPRequestHandler):
            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append((self.command, self.path, dict(self.headers), body))
                route = outer.routes.get(self.path, lambda h, b: (404, {}, b"not here"))
                status, headers, answer = route(self, body)
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = _any  # noqa: N815 - http.server's naming

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def loopback_allowed(settings) -> None:
    settings.FETCHER_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]


def echo(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict[str, str], bytes]:
    return 400, {"Retry-After": "7"}, json.dumps({"error": "invalid_grant", "got": body.decode()}).encode()


def test_send_posts_the_body_and_returns_any_answer(server):
    server.routes["/token"] = echo

    answer = send("POST", server.url("/token"), body=b"code=abc", timeout=5,
                  headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic eDp5"})

    assert answer.status == 400 and answer.content_type == "application/json"
    assert json.loads(answer.body) == {"error": "invalid_grant", "got": "code=abc"}
    assert answer.headers["retry-after"] == "7"  # case-insensitive
    method, path, headers, body = server.requests[0]
    assert (method, path, body) == ("POST", "/token", b"code=abc")
    assert headers["Authorization"] == "Basic eDp5" and headers["User-Agent"] == USER_AGENT


def test_send_does_not_follow_redirects(server):
    server.routes["/moved"] = lambda h, b: (307, {"Location": "/elsewhere"}, b"")
    answer = send("POST", server.url("/moved"), body=b"{}", timeout=5)
    assert answer.status == 307 and [r[1] for r in server.requests] == ["/moved"]


def test_send_refuses_a_large_answer_or_truncates_it_when_asked(server):
    server.routes["/big"] = lambda h, b: (200, {}, b"x" * 10_000)
    with pytest.raises(TooLarge):
        send("POST", server.url("/big"), body=b"", timeout=5, max_bytes=1000)
    assert send("POST", server.url("/big"), body=b"", timeout=5, max_bytes=1000, truncate=True).body == b"x" * 1000


def test_send_is_under_the_address_policy(server, settings, monkeypatch):
    settings.FETCHER_ALLOWED_HOSTS = []
    connects = []
    monkeypatch.setattr(ssrf, "_connect", lambda *a: connects.append(a))
    with pytest.raises(BlockedAddress, match="127.0.0.1 is a loopback address"):
        send("POST", server.url("/token"), body=b"", timeout=5)
    assert connects == [] and server.requests == []


def test_also_allow_admits_an_address_for_that_call_only(server, settings):
    settings.FETCHER_ALLOWED_HOSTS = []
    server.routes["/doc"] = lambda h, b: (200, {}, b"{}")

    assert send("GET", server.url("/doc"), timeout=5, also_allow=["127.0.0.0/8"]).status == 200
    assert fetch(server.url("/doc"), accept=("application/json",), timeout=5, also_allow=["127.0.0.1"]).body == b"{}"
    with pytest.raises(BlockedAddress):
        fetch(server.url("/doc"), accept=("application/json",), timeout=5)


def test_fetch_sends_extra_headers_but_not_credentials_to_another_origin(server):
    server.routes["/userinfo"] = lambda h, b: (302, {"Location": server.url("/landed", host="localhost")}, b"")
    server.routes["/landed"] = lambda h, b: (200, {}, b"{}")

    result = fetch(server.url("/userinfo"), accept=("application/json",), timeout=5,
                   headers={"Authorization": "Bearer secret-token", "X-Trace": "1"})

    assert result.status == 200 and result.url == server.url("/landed", host="localhost")
    (_, _, first, _), (_, _, second, _) = server.requests
    assert first["Authorization"] == "Bearer secret-token" and first["X-Trace"] == "1"
    assert "Authorization" not in second and second["X-Trace"] == "1"


def test_fetch_keeps_credentials_on_a_redirect_within_the_origin(server):
    server.routes["/userinfo"] = lambda h, b: (302, {"Location": "/v2/userinfo"}, b"")
    server.routes["/v2/userinfo"] = lambda h, b: (200, {}, b"{}")
    fetch(server.url("/userinfo"), accept=("application/json",), timeout=5, headers={"Authorization": "Bearer t"})
    assert [r[2].get("Authorization") for r in server.requests] == ["Bearer t", "Bearer t"]
