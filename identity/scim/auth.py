"""Who may call ``/scim/v2/``: a live SCIM token, and nothing else (a session cookie is
ignored, as is a personal API token).

``Authorization: Bearer scim_...``. A wrong or revoked token is a 401 and counts as a failed
login against the client (``accounts.lockout``), so guessing tokens locks the client out like
guessing passwords does; a missing header is a 401 that counts nothing. Each token may make
``SCIM_THROTTLE_PER_MINUTE`` requests a minute (a Redis sliding window shared by every
process; if Redis is down or slow the limit fails open, logged, like the API's).
"""

import contextlib
import logging
import time
import uuid
from collections.abc import Iterator

import redis
from auditlog.context import auditlog_value, set_actor
from django.conf import settings
from django.http import HttpRequest

from accounts.lockout import LOCKED_OUT_MESSAGE, login_allowed, login_failed
from core.client import client_ip
from core.ratelimit import sliding_window_take
from core.redis import RedisSkipped, web_redis
from identity.models import ScimToken
from identity.scim.tokens import scim_token_authenticate

logger = logging.getLogger(__name__)


class ScimDenied(Exception):
    """The request is refused before it reaches a resource: 401 or 429."""

    def __init__(self, status: int, detail: str, *, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


def scim_authenticate(request: HttpRequest) -> ScimToken:
    """The token the request carries, or ``ScimDenied``."""
    scheme, _, plain = request.headers.get("Authorization", "").partition(" ")
    plain = plain.strip()
    if scheme.lower() != "bearer" or not plain:
        raise ScimDenied(401, "Send a SCIM token made in Chorus's admin: Authorization: Bearer scim_...")
    if not login_allowed(request, username=None):
        _answer_ourselves(request)
        raise ScimDenied(429, LOCKED_OUT_MESSAGE, retry_after=settings.LOGIN_LOCKOUT_MINUTES * 60)
    token = scim_token_authenticate(plain)
    if token is None:
        login_failed(request, username=None)
        _answer_ourselves(request)
        raise ScimDenied(401, "This SCIM token is not valid (wrong or revoked).")
    _throttle(token)
    return token


def _answer_ourselves(request: HttpRequest) -> None:
    """The failure is counted; the answer stays a SCIM error (axes' middleware would swap it
    for the login page's lockout HTML, which no identity provider can read)."""
    request.axes_locked_out = False


def _throttle(token: ScimToken) -> None:
    limit = settings.SCIM_THROTTLE_PER_MINUTE
    if limit <= 0:
        return
    try:
        with web_redis() as client:
            wait = sliding_window_take(
                client, [(f"throttle:scim:{token.pk}", limit)],
                window_seconds=60, member=uuid.uuid4().hex, now=time.time(),
            )
    except RedisSkipped:  # failed a moment ago (logged then)
        return
    except redis.RedisError as exc:
        logger.error("SCIM throttle skipped (Redis unavailable): %s", type(exc).__name__)
        return
    if wait:
        raise ScimDenied(429, "Too many requests for this SCIM token: slow down.", retry_after=max(1.0, wait))


@contextlib.contextmanager
def scim_audit_context(request: HttpRequest) -> Iterator[None]:
    """Audit entries written during a SCIM request have no actor: not the user of a
    session cookie that came along (the token, named in each entry's extra data, acted).
    The request's own context (AuditlogMiddleware's) is put back afterwards, so that the
    middleware disconnects its own signal receiver."""
    outer = auditlog_value.get(None)
    try:
        with set_actor(None, remote_addr=client_ip(request)):
            yield
    finally:
        if outer is not None:
            auditlog_value.set(outer)
