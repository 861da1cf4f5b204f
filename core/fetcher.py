"""The only way Chorus fetches a URL that a user supplied (link previews, feeds, images)
or that an Admin configured (webhook endpoints, the single sign-on identity provider).

``fetch()`` GETs (following redirects, checking status and content type); ``send()`` makes
one request of any method (a webhook's POST, an OAuth token request) and returns the
answer whatever its status. Both go through the same pinned connections and deadline.

Why it is built on raw urllib3 connection pools rather than ``requests``:

* The address policy must judge the address the socket is *actually connected to*.
  Checking a name and letting an HTTP library resolve it again opens a DNS-rebinding
  window, so the pools from ``core.ssrf`` resolve once, validate every
  answer and connect to that validated IP themselves. The Host header, TLS SNI and
  certificate checks still use the host name: urllib3 keeps ``conn.host`` as the name
  and only the socket comes from us.
* ``requests`` would also honour ``HTTP(S)_PROXY`` and ``~/.netrc`` from the
  environment, which could send a user's URL through a proxy that bypasses the policy
  or attach credentials to it.
* Redirects are followed by hand so every hop is checked again (scheme and address),
  and credentials a caller added (``Authorization``, ``Cookie``) never follow a
  redirect to another origin.

A single wall-clock deadline covers the whole fetch. Per-operation socket timeouts
alone would let a server that drips one byte every second keep a worker busy for
hours, so a watchdog timer shuts the live socket down when the deadline passes.
"""

from __future__ import annotations

import http.client
import logging
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import urljoin

import certifi
from django.conf import settings
from urllib3 import HTTPConnectionPool, HTTPHeaderDict
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.response import BaseHTTPResponse
from urllib3.util import Timeout

from core.http import USER_AGENT
from core.ssrf import (
    BadURL,
    BlockedAddress,
    FetchError,
    PinnedHTTPConnectionPool,
    PinnedHTTPSConnectionPool,
    Target,
    parse_target,
)

__all__ = [
    "HTML_TYPES",
    "BadContentType",
    "BadURL",
    "BlockedAddress",
    "FetchError",
    "FetchResult",
    "HTTPStatusError",
    "TooLarge",
    "TooManyRedirects",
    "TooSlow",
    "fetch",
    "send",
]

logger = logging.getLogger(__name__)

HTML_TYPES: Final = ("text/html", "application/xhtml+xml")
_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_CHUNK: Final = 64 * 1024
# Headers that carry credentials: not sent on to another origin when a fetch is redirected.
_CREDENTIAL_HEADERS: Final = frozenset({"authorization", "proxy-authorization", "cookie"})


class TooLarge(FetchError):
    """The body is (or announces itself as) bigger than the caller's ``max_bytes``."""


class TooSlow(FetchError):
    """Connecting, waiting or downloading took longer than the fetch's deadline."""


class TooManyRedirects(FetchError):
    """The URL redirected more often than ``max_redirects`` allows."""


class BadContentType(FetchError):
    """The final response is not one of the content types the caller accepts."""


class HTTPStatusError(FetchError):
    """The final response had a non-2xx status."""

    def __init__(self, reason: str, *, status: int) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class FetchResult:
    url: str  # the final URL, after redirects
    status: int
    content_type: str  # media type only, lower case, e.g. "text/html"
    charset: str | None  # from the Content-Type header; None when the header has none
    body: bytes  # decoded from gzip/deflate transfer coding, at most max_bytes
    redirects: list[str] = field(default_factory=list)  # URLs that answered with a redirect, in order
    headers: Mapping[str, str] = field(default_factory=dict)  # the final answer's (case-insensitive)


def fetch(
    url: str,
    *,
    max_bytes: int = 2 * 1024 * 1024,
    timeout: float = 5.0,
    max_redirects: int = 3,
    accept: tuple[str, ...] = HTML_TYPES,
    headers: Mapping[str, str] | None = None,
    also_allow: Iterable[str] = (),
) -> FetchResult:
    """Fetch a user-supplied ``url`` under the SSRF policy; raise a ``FetchError`` otherwise.

    ``timeout`` is the total budget in seconds for every hop, connect, wait and
    download. ``accept`` lists media types (``"image/*"`` wildcards allowed) that the
    final response may have. Every ``FetchError`` has a ``reason`` fit to show the user.
    ``headers`` are added to the request (credentials among them are dropped on a redirect
    to another origin); ``also_allow`` adds entries to ``FETCHER_ALLOWED_HOSTS`` for this
    fetch only (a feature's own allow-list, such as ``SSO_ALLOWED_HOSTS``).
    """
    deadline = _Deadline(timeout)
    try:
        return _follow(url, deadline=deadline, max_bytes=max_bytes, max_redirects=max_redirects, accept=accept,
                       headers=dict(headers or {}), also_allow=tuple(also_allow))
    except FetchError as exc:
        logger.info("fetch of %s refused or failed: %s", _loggable(url), exc.reason)
        raise
    finally:
        deadline.cancel()


def send(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 5.0,
    max_bytes: int = 256 * 1024,
    truncate: bool = False,
    also_allow: Iterable[str] = (),
) -> FetchResult:
    """One ``method`` request to ``url`` under the SSRF policy, with ``body`` and ``headers``
    (Chorus's User-Agent is added). Redirects are not followed and the answer is returned
    whatever its status: the caller judges it. ``timeout`` covers connecting, sending and
    reading the answer; an answer over ``max_bytes`` raises ``TooLarge``, or with
    ``truncate`` is cut to its first ``max_bytes``. Raises a ``FetchError`` when there is no
    answer or the address is refused; ``also_allow`` is as for ``fetch()``.
    """
    deadline = _Deadline(timeout)
    try:
        target = parse_target(url)
        sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate", **(headers or {})}
        with _exchange(target, deadline, method=method, headers=sent, body=body,
                       also_allow=tuple(also_allow)) as response:
            content_type, charset = _parse_content_type(response.headers.get("Content-Type", ""))
            data = _read_body(response, target, deadline, max_bytes, (content_type,), truncate=truncate)
            return FetchResult(url=url, status=response.status, content_type=content_type, charset=charset,
                               body=data, headers=HTTPHeaderDict(response.headers))
    except FetchError as exc:
        logger.info("%s to %s refused or failed: %s", method, _loggable(url), exc.reason)
        raise
    finally:
        deadline.cancel()


def _follow(
    url: str, *, deadline: _Deadline, max_bytes: int, max_redirects: int, accept: tuple[str, ...],
    headers: dict[str, str], also_allow: tuple[str, ...],
) -> FetchResult:
    redirects: list[str] = []
    current = url
    origin: tuple[str, str, int] | None = None
    while True:
        try:
            target = parse_target(current)
            if origin is None:
                origin = (target.scheme, target.host, target.port)
            elif (target.scheme, target.host, target.port) != origin:
                headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
            sent = {
                "User-Agent": USER_AGENT,
                "Accept": ", ".join(accept),
                "Accept-Encoding": "gzip, deflate",
                **headers,
            }
            with _exchange(target, deadline, method="GET", headers=sent, also_allow=also_allow) as response:
                location = response.headers.get("Location", "").strip()
                if response.status in _REDIRECT_STATUSES and location:
                    if len(redirects) >= max_redirects:
                        raise TooManyRedirects(
                            f"The link redirects more than {max_redirects} times; Chorus stopped following it."
                        )
                    redirects.append(current)
                    current = urljoin(current, location)
                    continue
                _check_status(response.status)
                content_type, charset = _parse_content_type(response.headers.get("Content-Type", ""))
                _check_content_type(content_type, accept)
                body = _read_body(response, target, deadline, max_bytes, accept)
        except (BadURL, BlockedAddress) as exc:
            if not redirects:
                raise
            raise type(exc)(f"The link redirects to an address Chorus does not fetch. {exc.reason}") from exc
        logger.info("fetched %s: %s, %d bytes, %d redirects", _loggable(current), content_type, len(body),
                    len(redirects))
        return FetchResult(url=current, status=response.status, content_type=content_type, charset=charset,
                           body=body, redirects=redirects, headers=HTTPHeaderDict(response.headers))


# --- one exchange under the deadline --------------------------------------------------


class _Deadline:
    """The wall-clock budget of one fetch; when it runs out the live socket is shut down.

    ``shutdown`` (not ``close``) from the timer thread wakes a read blocked in another
    thread; the socket object is kept, not its file descriptor number, so a descriptor
    reused elsewhere after close can never be hit.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._ends = time.monotonic() + seconds
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return self._ends - time.monotonic()

    def too_slow(self, host: str) -> TooSlow:
        return TooSlow(f"{host} took longer than {self.seconds:g} seconds to answer, so Chorus gave up.")

    def check(self, host: str) -> None:
        if self.expired or self.remaining() <= 0:
            raise self.too_slow(host)

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self.expired:
                _shutdown(sock)

    def release(self, *closers: Any) -> None:
        """Close connections under the lock, so the timer never touches a closed socket."""
        with self._lock:
            self._sock = None
            for closer in closers:
                closer()

    def cancel(self) -> None:
        with self._lock:
            self._timer.cancel()
            self._sock = None

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._sock is not None:
                _shutdown(self._sock)


def _shutdown(sock: socket.socket) -> None:
    try:
        # The base-class method acts on the descriptor; SSLSocket.shutdown would also
        # tear down the SSL object under the feet of the reading thread.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


@contextmanager
def _exchange(
    target: Target, deadline: _Deadline, *, method: str, headers: dict[str, str], body: bytes | None = None,
    also_allow: tuple[str, ...] = (),
) -> Iterator[BaseHTTPResponse]:
    """Send one request (no redirects, no retries) and yield the unread response."""
    deadline.check(target.host)
    remaining = deadline.remaining()
    timeout = Timeout(connect=remaining, read=remaining)
    pool: HTTPConnectionPool
    # A host urllib3 cannot parse (it fails here, not at connect) is a BadURL, never a crash.
    with _translated_errors(target, deadline):
        if target.scheme == "https":
            pool = PinnedHTTPSConnectionPool(
                target.host, target.port, timeout=timeout, maxsize=1, retries=False,
                cert_reqs="CERT_REQUIRED", ca_certs=getattr(settings, "FETCHER_CA_BUNDLE", "") or certifi.where(),
                deadline=deadline, also_allow=also_allow,
            )
        else:
            pool = PinnedHTTPConnectionPool(
                target.host, target.port, timeout=timeout, maxsize=1, retries=False, deadline=deadline,
                also_allow=also_allow,
            )
    response: BaseHTTPResponse | None = None
    try:
        with _translated_errors(target, deadline):
            response = pool.urlopen(
                method, target.request_target, body=body, headers=headers, redirect=False, retries=False,
                preload_content=False, decode_content=True, assert_same_host=False, timeout=timeout,
            )
        # Headers cut short by the watchdog still parse, so the deadline decides.
        deadline.check(target.host)
        yield response
    finally:
        deadline.release(*([response.close] if response is not None else []), pool.close)


@contextmanager
def _translated_errors(target: Target, deadline: _Deadline) -> Iterator[None]:
    """Turn transport exceptions into ``FetchError``s with reasons a user can act on."""
    try:
        yield
    except FetchError:
        raise
    except LocationParseError as exc:
        raise BadURL("This does not look like a valid web address.") from exc
    except (ConnectTimeoutError, ReadTimeoutError, TimeoutError) as exc:
        raise deadline.too_slow(target.host) from exc
    except SSLError as exc:
        deadline.check(target.host)
        raise FetchError(f"The secure connection to {target.host} failed: its certificate could not be "
                         "verified.") from exc
    except (HTTPError, http.client.HTTPException, OSError) as exc:
        deadline.check(target.host)  # a shutdown by the watchdog surfaces as a broken connection
        raise FetchError(f"The connection to {target.host} broke off before the answer was received.") from exc


def _read_body(
    response: BaseHTTPResponse, target: Target, deadline: _Deadline, max_bytes: int, accept: tuple[str, ...],
    *, truncate: bool = False,
) -> bytes:
    too_large = TooLarge(f"The {_noun(accept)} is larger than {_size(max_bytes)}, the most Chorus downloads.")
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes and not truncate:
        raise too_large
    body = bytearray()
    with _translated_errors(target, deadline):
        while True:
            deadline.check(target.host)
            chunk = response.read1(min(_CHUNK, max_bytes + 1 - len(body)))
            if not chunk:
                break
            body += chunk
            if len(body) > max_bytes:
                if truncate:
                    return bytes(body[:max_bytes])  # the rest is not read: closing drops it
                raise too_large
    # A socket shut down by the watchdog reads as a clean end of a close-delimited body.
    deadline.check(target.host)
    return bytes(body)


# --- small helpers ------------------------------------------------------------------------


def _check_status(status: int) -> None:
    if 200 <= status < 300:
        return
    try:
        label = f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        label = f"HTTP {status}"
    if status == 404 or status == 410:
        reason = f"The page was not found ({label}). Check that the link is right."
    elif status in (401, 403):
        reason = f"The site refused access ({label}); the page may need a login or block automated visitors."
    elif status == 429:
        reason = f"The site is limiting requests ({label}); try again later."
    elif status >= 500:
        reason = f"The site had a server error ({label}); try again later."
    else:
        reason = f"The site answered with {label} instead of the page."
    raise HTTPStatusError(reason, status=status)


def _parse_content_type(value: str) -> tuple[str, str | None]:
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("'\"").strip() or None
    return media.strip().lower(), charset


def _check_content_type(content_type: str, accept: tuple[str, ...]) -> None:
    for wanted in accept:
        wanted = wanted.lower()
        if content_type == wanted or (wanted.endswith("/*") and content_type.startswith(wanted[:-1])):
            return
    shown = content_type or "content without a declared type"
    raise BadContentType(f"The link returned {shown}, not {_describe(accept)}.")


def _noun(accept: tuple[str, ...]) -> str:
    if accept and all(a.lower().startswith("image/") for a in accept):
        return "image"
    if any("rss" in a or "atom" in a for a in accept):
        return "feed"
    if any(a in HTML_TYPES for a in accept):
        return "page"
    return "download"


def _describe(accept: tuple[str, ...]) -> str:
    return {
        "image": "an image",
        "feed": "an RSS or Atom feed",
        "page": "a web page",
    }.get(_noun(accept), "content of type " + ", ".join(accept))


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.3g} MB"
    if n >= 1024:
        return f"{n / 1024:.3g} KB"
    return f"{n} bytes"


def _loggable(url: str) -> str:
    """The URL without query string or fragment: those often carry tokens."""
    return url.split("?", 1)[0].split("#", 1)[0][:200]
