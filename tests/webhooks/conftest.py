"""A real webhook receiver on loopback that verifies every request with the reference
``standardwebhooks`` library, and endpoints pointing at it."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

import core.queueing
from webhooks.models import SUBSCRIBABLE
from webhooks.services.endpoints import endpoint_create


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each POST with the next scripted status (then ``default``), 401 when the
    signature does not verify with any of ``secrets``."""

    url: str
    secrets: list[str] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    default: int = 200
    extra_headers: dict[str, str] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def verify(self, body: bytes, headers: dict[str, str]) -> bool:
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
                return True
            except WebhookVerificationError:
                continue
        return False

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            verified = self.verify(body, headers)
            self.hits.append(Hit(path=path, headers=headers, body=body, verified=verified))
            if not verified:
                return 401
            return self.script.pop(0) if self.script else self.default

    def of_type(self, event_type: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.payload["type"] == event_type]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = holder["r"].answer(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            for name, value in holder["r"].extra_headers.items():
                self.send_header(name, value)
            reply = b'{"ok": true}' if status < 300 else b"receiver says no"
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks/chorus")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder["r"]
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _loopback_receivers_allowed(settings):
    """The receiver is on loopback, which only FETCHER_ALLOWED_HOSTS lets through (tests
    of the SSRF guard take it away again)."""
    settings.FETCHER_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOKS_TIMEOUT = 5.0


@pytest.fixture(autouse=True)
def _broker_not_backed_off():
    """core.queueing skips publishing for a while after a broker failure in this process;
    an earlier test's simulated outage must not swallow this test's tasks."""
    core.queueing._broker_down_until = 0.0


@pytest.fixture
def endpoint(receiver):
    """An endpoint subscribed to everything, pointing at the receiver, which knows its secret."""
    made = endpoint_create(url=receiver.url, description="CRM", events=list(SUBSCRIBABLE))
    receiver.secrets = [made.secret]
    return made
