"""SCIM bearer tokens: made and revoked by an Admin, checked on every SCIM request.

A token reads ``scim_<prefix>_<secret>``: the prefix finds the row, the SHA-256 of the
whole token must match the stored digest (compared in constant time) — the approach of
personal API tokens (``accounts.services.api_tokens``). The plain token is returned once,
by :func:`scim_token_create`, and never stored or logged.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from auditlog.models import LogEntry
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.audit import record
from identity.models import ScimToken

TOKEN_PREFIX = "scim_"  # noqa: S105  (the public marker, not a secret)
_MAX_TOKEN_LENGTH = 200
# last_used_at is written at most this often per token (not on every request).
LAST_USED_PRECISION = timedelta(minutes=5)


class ScimTokenError(ValueError):
    """The token cannot be made; the message says why."""


@dataclass(frozen=True)
class NewScimToken:
    token: ScimToken
    plain: str  # shown once

    def __repr__(self) -> str:  # never the plain token in a traceback or a log line
        return f"NewScimToken(token={self.token!r})"


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def scim_token_create(*, name: str, by: User | None = None) -> NewScimToken:
    name = (name or "").strip()
    if not name:
        raise ScimTokenError("Name the token after the identity provider that will use it.")
    with transaction.atomic():
        prefix = secrets.token_hex(6)
        while ScimToken.objects.filter(prefix=prefix).exists():  # 48 bits: practically never
            prefix = secrets.token_hex(6)
        plain = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        token = ScimToken.objects.create(name=name[:100], prefix=prefix, digest=_digest(plain), created_by=by)
        record(token, event="scim token created", action=LogEntry.Action.CREATE, actor=by,
               changes={"name": [None, token.name]})
    return NewScimToken(token=token, plain=plain)


def scim_token_revoke(*, token: ScimToken, by: User | None = None) -> bool:
    """Revoke now (idempotent); True if it was live."""
    with transaction.atomic():
        updated = ScimToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if updated:
            record(token, event="scim token revoked", actor=by)
    return bool(updated)


def scim_token_authenticate(plain: str) -> ScimToken | None:
    """The live token ``plain`` names, or None (wrong or revoked)."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > _MAX_TOKEN_LENGTH:
        return None
    prefix, _, secret = plain[len(TOKEN_PREFIX):].partition("_")
    if not prefix or not secret:
        return None
    token = ScimToken.objects.filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(plain)) or not token.is_usable:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
