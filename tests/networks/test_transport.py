"""Did the request leave? Ambiguous publishes vs. safe-to-retry failures, plus the
http-only-for-loopback policy. Uses ``responses`` and a tiny real socket server."""

import os
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
import responses

from networks import (
    AmbiguousPostError,
    ConfigError,
    NetworkConfig,
    PostRequest,
    TransientError,
)
from networks.linkedin import LinkedInAdapter
from networks.wire import oauthlib_transport
from networks.x import XAdapter

from .conftest import linkedin_config, x_config

POST = PostRequest(author_id="abc", text="Hello")


def test_ambiguous_is_not_transient_so_autoretry_cannot_repost():
    assert not issubclass(AmbiguousPostError, TransientError)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (requests.exceptions.ReadTimeout("read timed out"), AmbiguousPostError),
        (requests.exceptions.ConnectionError("Connection reset by peer"), AmbiguousPostError),
        (requests.exceptions.ChunkedEncodingError("broken"), AmbiguousPostError),
        (requests.exceptions.ConnectTimeout("connect timed out"), TransientError),
        (requests.exceptions.SSLError("handshake failed"), TransientError),
    ],
)
@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_publish_transport_failures(mocked, linkedin, x, network, raised, expected):
    adapter, url = (linkedin, "https://api.linkedin.com/rest/posts") if network == "linkedin" else (x, "https://api.twitter.com/2/tweets")
    mocked.add(responses.POST, url, body=raised)
    before = datetime.now(UTC)

    with pytest.raises(expected) as caught:
        adapter.publish(token="user-token", post=POST)

    assert type(caught.value) is expected
    if expected is AmbiguousPostError:
        assert before <= caught.value.sent_at <= datetime.now(UTC)
        assert "may or may not have been published" in str(caught.value)


def test_read_timeout_outside_publish_is_just_transient(mocked, x):
    mocked.add(responses.GET, "https://api.twitter.com/2/users/me", body=requests.exceptions.ReadTimeout("slow"))

    with pytest.raises(TransientError) as caught:
        x.profile(token="user-token")

    assert "took too long" in str(caught.value)


def test_linkedin_201_without_an_id_is_ambiguous(mocked, linkedin):
    mocked.add(responses.POST, "https://api.linkedin.com/rest/posts", status=201, body="")

    with pytest.raises(AmbiguousPostError):
        linkedin.publish(token="member-token", post=POST)


def test_x_201_with_an_unreadable_body_is_ambiguous(mocked, x):
    mocked.add(responses.POST, "https://api.twitter.com/2/tweets", status=201, body="<html>", content_type="text/html")

    with pytest.raises(AmbiguousPostError):
        x.publish(token="user-token", post=POST)


# --------------------------------------------------------------------------- real sockets


class MisbehavingServer:
    """Accepts connections on loopback and reads each request, then either closes the
    connection without answering ("drop") or says nothing until told to stop ("hang")."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests: list[bytes] = []
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            self.requests.append(self._read_request(conn))
            if self.mode == "hang":
                self.stop.wait(5)

    @staticmethod
    def _read_request(conn: socket.socket) -> bytes:
        conn.settimeout(2)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += conn.recv(65536)
        return head + b"\r\n\r\n" + body

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture(params=["drop", "hang"])
def misbehaving(request) -> Iterator[MisbehavingServer]:
    server = MisbehavingServer(request.param)
    yield server
    server.close()


def loopback_adapters(port: int) -> list:
    base = f"http://127.0.0.1:{port}"
    return [
        LinkedInAdapter(linkedin_config(api_url=f"{base}/linkedin", timeout=(1.0, 0.5))),
        XAdapter(x_config(api_url=f"{base}/x", timeout=(1.0, 0.5))),
    ]


def test_real_connection_dropped_or_hung_after_sending_a_post_is_ambiguous(misbehaving):
    for adapter in loopback_adapters(misbehaving.port):
        with pytest.raises(AmbiguousPostError):
            adapter.publish(token="user-token", post=POST)

    assert len(misbehaving.requests) == 2
    assert all(b"POST /" in r and b"Hello" in r for r in misbehaving.requests)


def test_real_connection_dropped_on_a_read_is_transient(misbehaving):
    for adapter in loopback_adapters(misbehaving.port):
        with pytest.raises(TransientError):
            adapter.profile(token="user-token")


def test_real_connection_refused_before_sending_is_transient_not_ambiguous():
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    # Nothing listens on ``port`` any more: the connection is refused, nothing was sent.
    for adapter in loopback_adapters(port):
        with pytest.raises(TransientError) as caught:
            adapter.publish(token="user-token", post=POST)
        assert "could not reach" in str(caught.value)


# --------------------------------------------------------------------------- http policy


@pytest.mark.parametrize(
    "url",
    ["http://api.linkedin.com", "http://10.0.0.5:8765/linkedin", "ftp://127.0.0.1/x", "https://"],
)
def test_config_refuses_plain_http_except_for_loopback(url):
    with pytest.raises(ConfigError):
        linkedin_config(api_url=url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765/linkedin", "http://localhost:8765/x", "https://api.x.com"])
def test_config_accepts_https_and_loopback_http(url):
    assert isinstance(x_config(api_url=url), NetworkConfig)


def test_insecure_transport_switch_is_only_on_for_loopback_and_restored(monkeypatch):
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)

    with oauthlib_transport("https://api.x.com/2/oauth2/token"):
        assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ
    with oauthlib_transport("http://127.0.0.1:8765/x/2/oauth2/token"):
        assert os.environ["OAUTHLIB_INSECURE_TRANSPORT"] == "1"
        with oauthlib_transport("http://localhost:8765/linkedin/oauth/v2/accessToken"):
            assert os.environ["OAUTHLIB_INSECURE_TRANSPORT"] == "1"
        assert os.environ["OAUTHLIB_INSECURE_TRANSPORT"] == "1"  # still inside the outer call
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ


def test_insecure_transport_keeps_an_operators_own_setting(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "yes")

    with oauthlib_transport("http://127.0.0.1:1/x"):
        pass

    assert os.environ["OAUTHLIB_INSECURE_TRANSPORT"] == "yes"


def test_loopback_oauth_flow_works_over_plain_http(mocked, monkeypatch):
    """Without the scoped switch oauthlib would raise InsecureTransportError here."""
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    base = "http://127.0.0.1:8765/x"
    adapter = XAdapter(x_config(auth_url=f"{base}/2/oauth2", api_url=base, authorize_url=f"{base}/i/oauth2/authorize"))
    mocked.add(responses.POST, f"{base}/2/oauth2/token", json={"access_token": "a", "token_type": "bearer", "expires_in": 7200})

    request = adapter.authorization_request(redirect_uri="http://127.0.0.1:8000/cb", state="s")
    tokens = adapter.exchange_code(code="c", redirect_uri="http://127.0.0.1:8000/cb", code_verifier=request.code_verifier)

    assert request.url.startswith(f"{base}/i/oauth2/authorize?")
    assert tokens.access_token == "a"
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ
