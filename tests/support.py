"""Test helpers: a tiny loopback web server (canned responses, hit counts) and a recorder
of what signals announce."""

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.dispatch import Signal


class PageServer:
    """A small real web site on 127.0.0.1 for tests that fetch over HTTP.

    ``server.pages["/feed.xml"] = (200, "application/rss+xml", b"...")``, optionally with a
    fourth item of extra headers (``{"Location": "/elsewhere"}``). Unknown paths are 404.
    """

    def __init__(self, pages: dict[str, tuple] | None = None) -> None:
        self.pages: dict[str, tuple] = dict(pages or {})
        self.hits: Counter[str] = Counter()
        pages, hits = self.pages, self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
                path = self.path.split("?")[0]
                hits[path] += 1
                status, ctype, body, *extra = pages.get(path, (404, "text/plain", b"not found"))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (extra[0] if extra else {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> "PageServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def connect_account(user, network: str, sandbox, *, name: str | None = None):
    """Connect ``user``'s ``network`` account through the real OAuth flow on the sandbox."""
    from urllib.parse import parse_qs, urlsplit

    import requests
    from django.test import Client
    from django.urls import reverse

    from advocacy.models import SocialAccount

    client = Client()
    client.force_login(user)
    authorize = client.get(reverse("connect", args=[network]))["Location"]
    answer = requests.get(authorize, params={"decision": "allow", "name": name or user.full_name or user.email},
                          allow_redirects=False, timeout=5)
    params = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}
    client.get(reverse("connect_callback", args=[network]), params)
    return SocialAccount.objects.get(user=user, network=network)


@contextmanager
def signals_heard(**signals: Signal) -> Iterator[list[tuple[str, dict]]]:
    """What the given signals announce while the block runs, as ``(name, kwargs)`` in order:
    ``with signals_heard(deactivated=user_deactivated) as events: ...``."""
    events: list[tuple[str, dict]] = []
    receivers = []  # Signal holds weak references: keep the receivers alive here
    for name, signal in signals.items():
        def receiver(sender: Any, _name: str = name, **kwargs: Any) -> None:
            events.append((_name, kwargs))

        receivers.append(receiver)
        signal.connect(receiver, dispatch_uid=f"tests.signals_heard.{name}")
    try:
        yield events
    finally:
        for name, signal in signals.items():
            signal.disconnect(dispatch_uid=f"tests.signals_heard.{name}")


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Tasks published for real (not run inline) to the broker at ``url`` (a real Redis, or
    kombu's ``memory://``), and Celery's connection pools forgotten before and after so no
    connection to another broker is reused."""
    from chorus.celery import app

    def forget_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    conf = app.conf
    saved = {key: conf[key] for key in ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL")}
    conf.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=url)
    forget_pools()
    try:
        yield
    finally:
        conf.update(saved)
        forget_pools()
