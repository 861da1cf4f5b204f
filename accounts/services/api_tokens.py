"""Personal API tokens: made and revoked by their owner, checked on every API request.

A token reads ``chorus_<prefix>_<secret>``: the prefix finds the row, the SHA-256 of the
whole token must match the stored digest (compared in constant time). The plain token is
returned once, by :func:`api_token_create`, and never stored or logged.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from auditlog.models import LogEntry
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, ApiTokenScope, User
from core.audit import record

TOKEN_PREFIX = "chorus_"  # noqa: S105  (the public marker, not a secret)
MAX_TOKENS_PER_USER = 20
# The longest a token may live (a year); "never" is not offered.
MAX_LIFETIME = timedelta(days=366)
# last_used_at is written at most this often per token (not on every request).
LAST_USED_PRECISION = timedelta(minutes=5)


class ApiTokenError(ValueError):
    pass


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    plain: str  # shown once


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def api_token_create(*, user: User, name: str, scope: str, expires_in_days: int) -> NewToken:
    name = (name or "").strip()
    if not name:
        raise ApiTokenError("Give the token a name, so you know later what uses it.")
    if scope not in ApiTokenScope.values:
        raise ApiTokenError("Choose read only, or read and write.")
    if not 1 <= expires_in_days <= MAX_LIFETIME.days:
        raise ApiTokenError(f"A token lives between 1 and {MAX_LIFETIME.days} days.")
    if api_tokens_active(user).count() >= MAX_TOKENS_PER_USER:
        raise ApiTokenError(f"You have {MAX_TOKENS_PER_USER} active tokens; revoke one first.")
    prefix = secrets.token_hex(4)
    plain = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:100], prefix=prefix, digest=_digest(plain), scope=scope,
            expires_at=timezone.now() + timedelta(days=expires_in_days),
        )
        record(token, event="api token created", action=LogEntry.Action.CREATE,
                changes={"name": [None, token.name], "scope": [None, scope]})
    return NewToken(token=token, plain=plain)


def api_tokens_active(user: User):
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now())


def api_token_revoke(*, token: ApiToken) -> bool:
    """Revoke now (idempotent); True if it was live."""
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if updated:
            record(token, event="api token revoked")
    return bool(updated)


def api_token_authenticate(plain: str) -> ApiToken | None:
    """The usable token ``plain`` names, or None (wrong, expired, revoked, owner inactive)."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    prefix, _, secret = plain[len(TOKEN_PREFIX):].partition("_")
    if not prefix or not secret or len(plain) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(plain)):
        return None
    now = timezone.now()
    if not token.is_usable(now):
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
