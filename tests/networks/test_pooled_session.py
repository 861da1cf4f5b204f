"""The adapters' HTTP session is made once per process (networks.wire.pooled_session) and
shared by every account's calls: nothing of one call may reach the next (no cookie, no
.netrc credentials in place of our Authorization header), the environment's proxies still
apply, a connection idle for a while is not reused, and a forked child never uses its
parent's sockets."""

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from networks import TransientError, wire
from networks.wire import KEEPALIVE_IDLE_SECONDS, Transport, pooled_session
from tests.networks.conftest import x_config


@dataclass
class Seen:
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (request line path, headers)
    connections: int = 0


@pytest.fixture
def server() -> Iterator[tuple[str, Seen]]:
    """A keep-alive HTTP/1.1 server that sets a cookie on every answer and records what it got."""
    seen = Seen()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            seen.connections += 1
            super().setup()

        def do_GET(self) -> None:  # noqa: N802
            seen.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Set-Cookie", "session=ann-lee; Path=/")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(wire, "_clock", fake)
    return fake


@pytest.fixture
def transport(clock) -> Transport:
    wire._environment_proxies.cache_clear()
    yield Transport(x_config(api_url="http://127.0.0.1:9"))
    wire._environment_proxies.cache_clear()


def test_one_session_per_process_and_timeout(transport):
    assert transport.session is Transport(x_config(api_url="http://127.0.0.1:9")).session
    assert transport.session is not pooled_session((9.0, 9.0))


def test_no_cookie_of_one_call_goes_with_the_next(server, transport):
    url, seen = server
    transport.send("GET", f"{url}/2/users/me", headers={"Authorization": "Bearer ann-token"})
    transport.send("GET", f"{url}/2/users/me", headers={"Authorization": "Bearer bob-token"})
    (_, first), (_, second) = seen.requests
    assert "cookie" not in second and second["authorization"] == "Bearer bob-token"
    assert not transport.session.cookies


def test_a_netrc_never_replaces_our_authorization(server, transport, tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login eve password stolen\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    url, seen = server
    transport.send("GET", f"{url}/2/tweets", headers={"Authorization": "Bearer ann-token"})
    [(_, headers)] = seen.requests
    assert headers["authorization"] == "Bearer ann-token"


def test_the_environments_proxy_is_still_used(server, transport, monkeypatch):
    url, seen = server
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", url)  # our server plays the proxy
    transport.send("GET", "http://api.x.example/2/tweets", headers={"Authorization": "Bearer ann-token"})
    [(path, _)] = seen.requests
    assert path == "http://api.x.example/2/tweets"  # a proxy's request line: the absolute URL


def test_a_dead_proxy_is_a_call_that_never_left(transport, monkeypatch):
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    with pytest.raises(TransientError):
        transport.send("POST", "http://api.x.example/2/tweets", ambiguous=True, json={"text": "hi"})


def test_a_busy_connection_is_kept_and_an_idle_one_is_not(server, transport, clock):
    url, seen = server
    for _ in range(3):
        transport.send("GET", f"{url}/2/users/me")
        clock.now += KEEPALIVE_IDLE_SECONDS / 2
    assert seen.connections == 1  # one TCP connection for three calls
    clock.now += KEEPALIVE_IDLE_SECONDS + 1
    transport.send("GET", f"{url}/2/users/me")
    assert seen.connections == 2  # idle too long: a fresh connection, not the old one


def test_a_forked_child_makes_its_own_session(transport, monkeypatch):
    parents = transport.session
    monkeypatch.setattr(os, "getpid", lambda: -1)
    assert transport.session is not parents


def test_a_transport_given_a_session_uses_it(server):
    import requests

    url, seen = server
    own = requests.Session()
    Transport(x_config(api_url="http://127.0.0.1:9"), session=own).send("GET", f"{url}/x")
    assert own.cookies.get("session") == "ann-lee"  # that one is the caller's to manage
