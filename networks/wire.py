"""Transport plumbing both adapters share: sending, failure classification, error bodies.

The one question this module answers carefully is *did the request leave?* A connect
failure means nothing was sent (safe to retry); a read timeout or a connection dropped
after sending means the provider may have acted (a publish must be reconciled, not
repeated). See ``possibly_sent``.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import cookiejar
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from core.http import outbound_session
from core.observability.counters import counts_provider_errors

from .errors import AmbiguousPostError, ConfigError, NetworkError, TransientError
from .types import NetworkConfig, RateLimit, is_loopback_http

logger = logging.getLogger("networks")


class _DropDebugRecords(logging.Filter):
    """requests-oauthlib logs whole token responses, request bodies (with the client
    secret) and Authorization headers at DEBUG. Turning DEBUG on while chasing a bug must
    not put employees' tokens in the logs, so those records never leave the logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


for _name in ("requests_oauthlib.oauth2_session", "requests_oauthlib.oauth2_auth"):
    logging.getLogger(_name).addFilter(_DropDebugRecords())


def utcnow() -> datetime:
    return datetime.now(UTC)


def seconds_until_midnight_utc(now: datetime | None = None) -> float:
    """LinkedIn's daily throttles reset at midnight UTC and send no header saying so."""
    now = now or utcnow()
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max((midnight - now).total_seconds(), 1.0)


# --------------------------------------------------------------------------- secrets

_BEARER = re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_TOKEN_FIELD = re.compile(r"(?i)((?:access|refresh|id)_token|client_secret|code_verifier)([\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+")


# A long run of token characters mixing letters and digits: OAuth tokens look like this,
# while URNs (digits after a colon), ids, URLs (split at / and .) and words do not.
_TOKEN_LIKE = re.compile(r"(?<![A-Za-z0-9_~+=-])(?=[A-Za-z0-9_~+=-]*\d)(?=[A-Za-z0-9_~+=-]*[A-Za-z])[A-Za-z0-9_~+=-]{24,}")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove known secrets and anything shaped like a credential from provider text."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    text = _BEARER.sub(r"\1 [redacted]", text)
    text = _TOKEN_FIELD.sub(r"\1\2[redacted]", text)
    return _TOKEN_LIKE.sub("[redacted]", text)


# --------------------------------------------------------------------------- insecure transport

_insecure_lock = threading.Lock()
_insecure_users = 0
_insecure_previous: str | None = None


@contextmanager
def oauthlib_transport(url: str) -> Iterator[None]:
    """Let oauthlib talk plain http to the loopback sandbox, and to nothing else.

    oauthlib only knows one switch, the process-wide ``OAUTHLIB_INSECURE_TRANSPORT``.
    We set it for the duration of a call whose URL is ``http://127.0.0.1``/``localhost``
    and restore it afterwards (reference-counted, so overlapping calls in threads do not
    clear it under each other). Real providers are https and never need it, and
    ``NetworkConfig`` refuses http for any other host, so no provider URL in Chorus can
    go out in the clear even while the switch is on.
    """
    global _insecure_users, _insecure_previous
    if not is_loopback_http(url):
        yield
        return
    with _insecure_lock:
        if _insecure_users == 0:
            _insecure_previous = os.environ.get("OAUTHLIB_INSECURE_TRANSPORT")
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
        _insecure_users += 1
    try:
        yield
    finally:
        with _insecure_lock:
            _insecure_users -= 1
            if _insecure_users == 0:
                if _insecure_previous is None:
                    os.environ.pop("OAUTHLIB_INSECURE_TRANSPORT", None)
                else:
                    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = _insecure_previous


# --------------------------------------------------------------------------- transport failures


def possibly_sent(exc: requests.RequestException) -> bool:
    """Whether the provider may have received the request that raised ``exc``.

    Only failures we can positively place *before* sending count as unsent: connect
    timeouts, refused connections, DNS and TLS handshake errors. Everything else — read
    timeouts, "connection aborted"/reset after sending, broken chunked responses, and any
    connection error we cannot classify — counts as possibly sent, because for a publish
    the cost of guessing wrong that way is one reconciliation call, and the other way is a
    double post.
    """
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError | requests.exceptions.ProxyError):
        return False
    if isinstance(exc, requests.ReadTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason: Any = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        return not isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return True


@counts_provider_errors  # for /metrics (chorus_provider_errors_total)
def transport_error(
    exc: requests.RequestException, *, config: NetworkConfig, ambiguous: bool, sent_at: datetime
) -> NetworkError:
    """Turn a ``requests`` exception into one of ours."""
    name = config.display_name
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema | requests.exceptions.InvalidSchema):
        return ConfigError(f"Chorus's address for {name} is not a valid URL.", network=config.network)
    if ambiguous and possibly_sent(exc):
        return AmbiguousPostError(
            f"{name} did not answer after the post was sent, so it may or may not have been published. "
            "Chorus will check before trying again.",
            sent_at=sent_at,
            network=config.network,
            provider_message=type(exc).__name__,
        )
    if isinstance(exc, requests.Timeout):
        message = f"{name} took too long to answer. Chorus will try again shortly."
    else:
        message = f"Chorus could not reach {name}. It will try again shortly."
    return TransientError(message, network=config.network, provider_message=type(exc).__name__)


# --------------------------------------------------------------------------- sessions

# A pooled connection idle longer than this is not reused: servers close idle keep-alive
# connections after a while (some after 5 s), and a request written into a connection the
# server is closing fails as "possibly sent" — for a publish, a reconciliation. 2 s keeps
# a busy worker's connection and stays well inside the shortest common server timeout.
KEEPALIVE_IDLE_SECONDS = 2.0
_clock = time.monotonic  # (tests move it)


class _NoCookies(cookiejar.DefaultCookiePolicy):
    """The session is shared by every account's calls: it must never keep a cookie one
    employee's call received and send it with another's."""

    def set_ok(self, cookie: cookiejar.Cookie, request: Any) -> bool:
        return False


class _Sessions(threading.local):
    pid = 0
    by_timeout: dict[tuple[float, float], requests.Session]
    last_used: dict[tuple[float, float], float]


_sessions = _Sessions()


def pooled_session(timeout: tuple[float, float]) -> requests.Session:
    """This process's (and thread's) session for provider calls with ``timeout``: made once
    and reused, so each call does not build a session and its connection pools again, and
    a busy worker keeps its connections to the provider open (no TCP and TLS handshake per
    post). Nothing of one call carries over to the next: every call gives its own
    Authorization header, no cookie is kept (``_NoCookies``), and ``trust_env`` is off —
    the proxies and CA bundle the environment names are read once here instead of on
    every request, and a ``.netrc`` can never replace our Authorization header. A forked
    child (a Celery pool process) never uses its parent's sockets: sessions are per pid."""
    pid = os.getpid()
    if _sessions.pid != pid:
        _sessions.pid, _sessions.by_timeout, _sessions.last_used = pid, {}, {}
    session = _sessions.by_timeout.get(timeout)
    if session is None:
        session = outbound_session(timeout)
        session.cookies.set_policy(_NoCookies())
        session.trust_env = False
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        _sessions.by_timeout[timeout] = session
    now = _clock()
    if now - _sessions.last_used.get(timeout, now) > KEEPALIVE_IDLE_SECONDS:
        session.close()  # drops the idle connections; the session itself stays usable
    _sessions.last_used[timeout] = now
    return session


@functools.lru_cache(maxsize=64)
def _environment_proxies(origin: str) -> dict[str, str]:
    """The proxies the environment names for ``origin`` (``HTTPS_PROXY``, ``NO_PROXY``…),
    as ``requests`` would find them, looked up once per process and origin."""
    return requests.utils.get_environ_proxies(origin)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Transport:
    """The adapter's HTTP session (Chorus timeouts, no automatic retries) plus failure
    mapping. Tests can pass their own to an adapter; ``responses`` patches below it."""

    def __init__(self, config: NetworkConfig, session: requests.Session | None = None) -> None:
        self.config = config
        self._session = session

    @property
    def session(self) -> requests.Session:
        if self._session is not None:
            return self._session
        return pooled_session(tuple(self.config.timeout))  # type: ignore[arg-type]

    def send(self, method: str, url: str, *, ambiguous: bool = False, **kwargs: Any) -> requests.Response:
        """Send once. ``ambiguous=True`` (publish only) turns "sent, no answer" into
        ``AmbiguousPostError`` instead of ``TransientError``."""
        sent_at = utcnow()
        session = self.session
        if not session.trust_env and "proxies" not in kwargs:
            kwargs["proxies"] = _environment_proxies(_origin(url))
        try:
            return session.request(method, url, **kwargs)
        except requests.RequestException as exc:
            raise transport_error(exc, config=self.config, ambiguous=ambiguous, sent_at=sent_at) from exc


# --------------------------------------------------------------------------- error bodies


@dataclass
class ErrorBody:
    """Every documented error shape, flattened. Unknown fields stay in ``raw``.

    LinkedIn ``{"status","serviceErrorCode","code","message"}`` (+ ``errorDetails``),
    OAuth ``{"error","error_description"}``, X RFC 7807 ``{"title","detail","type","status"}``,
    X legacy ``{"errors":[{"code":88,"message":…}]}``, or not JSON at all.
    """

    status: int
    code: str = ""
    service_code: int | None = None
    message: str = ""
    oauth_error: str = ""
    problem_type: str = ""
    legacy_codes: tuple[int, ...] = ()
    detail_codes: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def all_text(self) -> str:
        """Every human-readable string in the body, lower-cased, for keyword tests
        ("duplicate", "too long") wherever the provider happened to put them."""
        return " | ".join(self.texts).lower()

    @property
    def all_codes(self) -> set[str]:
        """Every string code in the body, upper-cased, for simple membership tests."""
        codes = {self.code.upper(), self.oauth_error.upper(), *(c.upper() for c in self.detail_codes)}
        codes.add(self.problem_type.rstrip("/").rsplit("/", 1)[-1].upper())
        if isinstance(self.raw.get("reason"), str):
            codes.add(self.raw["reason"].upper())
        codes.discard("")
        return codes


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_error_body(response: requests.Response, secrets: Iterable[str | None] = ()) -> ErrorBody:
    """Read whatever error shape ``response`` carries; every text comes back redacted."""
    body = ErrorBody(status=response.status_code)
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        text = re.sub(r"<[^>]+>", " ", (response.text or "").strip())  # an HTML error page
        body.message = redact(" ".join(text.split())[:300], secrets)
        return body

    body.raw = data
    if isinstance(data.get("error"), str):  # OAuth
        body.oauth_error = data["error"]
    if isinstance(data.get("code"), str):  # LinkedIn
        body.code = data["code"]
    body.service_code = _as_int(data.get("serviceErrorCode"))
    if isinstance(data.get("type"), str):  # X problem object
        body.problem_type = data["type"]
    legacy = [e for e in data.get("errors") or [] if isinstance(e, dict)]  # X legacy, or partial
    body.legacy_codes = tuple(c for c in (_as_int(e.get("code")) for e in legacy) if c is not None)
    details = data.get("errorDetails")
    inputs = [e for e in (details.get("inputErrors") or []) if isinstance(e, dict)] if isinstance(details, dict) else []
    body.detail_codes = tuple(str(e["code"]) for e in inputs if e.get("code"))

    texts = [
        data.get("error_description"),
        data.get("detail"),
        data.get("message"),
        data.get("title"),
        *(e.get("message") or e.get("detail") for e in legacy),
        *(e.get("description") for e in inputs),
    ]
    body.texts = tuple(redact(str(t)[:500], secrets) for t in texts if t)
    body.message = body.texts[0] if body.texts else ""
    return body


def retry_after_header(response: requests.Response) -> float | None:
    """A numeric ``Retry-After`` header, if any (HTTP-date forms are rare here: ignored)."""
    value = response.headers.get("Retry-After")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


# --------------------------------------------------------------------------- rate limits

RATE_LIMIT_BUCKETS = {
    "window": "x-rate-limit",
    "app_24h": "x-app-limit-24hour",
    "user_24h": "x-user-limit-24hour",
}


def parse_rate_limits(headers: Any) -> dict[str, RateLimit]:
    """X's ``x-rate-limit-*`` (15-minute window) and ``x-{app,user}-limit-24hour-*``."""
    found: dict[str, RateLimit] = {}
    for bucket, prefix in RATE_LIMIT_BUCKETS.items():
        limit = _as_int(headers.get(f"{prefix}-limit"))
        remaining = _as_int(headers.get(f"{prefix}-remaining"))
        reset = _as_int(headers.get(f"{prefix}-reset"))
        if limit is None or remaining is None or reset is None:
            continue
        found[bucket] = RateLimit(limit=limit, remaining=remaining, reset_at=datetime.fromtimestamp(reset, UTC))
    return found
