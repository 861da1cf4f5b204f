"""Personal API tokens: made and revoked by their owner, checked on every API request.

A token reads ``chorus_<prefix>_<secret>``: the prefix finds the row, the SHA-256 of the
whole token must match the stored digest (compared in constant time). The plain token is
returned once, by :func:`api_token_create`, and never stored or logged: the audit log and
the My data export name a token by its name and prefix only.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from auditlog.models import LogEntry
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import ApiToken, ApiTokenScope, User
from core.audit import record
from core.compiled import CompiledQuery

TOKEN_PREFIX = "chorus_"  # noqa: S105  (the public marker, not a secret)
MAX_TOKENS_PER_USER = 20
# The lifetimes the portal offers; the service accepts any number of days up to a year
# ("never" is not offered: a forgotten token must die on its own).
LIFETIME_CHOICES_DAYS = (30, 90, 365)
MAX_LIFETIME = timedelta(days=366)
# last_used_at is written at most this often per token (not on every request).
LAST_USED_PRECISION = timedelta(minutes=5)
# 6 random bytes: 48 bits, so two tokens practically never share a prefix (a clash is
# still checked for); the secret part is 32 random bytes.
_PREFIX_BYTES = 6
_SECRET_BYTES = 32
_MAX_TOKEN_LENGTH = 200


class ApiTokenError(ValueError):
    """The token cannot be made; the message says why, for the person asking."""


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    plain: str  # shown once

    def __repr__(self) -> str:  # never the plain token in a traceback or a log line
        return f"NewToken(token={self.token!r})"


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def _new_prefix() -> str:
    for _ in range(5):
        prefix = secrets.token_hex(_PREFIX_BYTES)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            return prefix
    raise RuntimeError("could not find an unused token prefix")  # pragma: no cover  (2**48 of them)


def api_token_create(*, user: User, name: str, scope: str, expires_in_days: int) -> NewToken:
    """Make a token for ``user``; the plain token is in the result, and nowhere else."""
    name = (name or "").strip()
    if not name:
        raise ApiTokenError("Give the token a name, so you know later what uses it.")
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise ApiTokenError("Keep the name under 100 characters.")
    if scope not in ApiTokenScope.values:
        raise ApiTokenError("Choose read only, or read and write.")
    if isinstance(expires_in_days, bool) or not isinstance(expires_in_days, int) \
            or not 1 <= expires_in_days <= MAX_LIFETIME.days:
        raise ApiTokenError(f"A token lives between 1 and {MAX_LIFETIME.days} days.")
    if not user.is_active:
        raise ApiTokenError("This account is deactivated: it cannot have API tokens.")
    if api_tokens_active(user).count() >= MAX_TOKENS_PER_USER:
        raise ApiTokenError(f"You have {MAX_TOKENS_PER_USER} active tokens; revoke one first.")
    prefix = _new_prefix()
    plain = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(_SECRET_BYTES)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=prefix, digest=_digest(plain), scope=scope,
            expires_at=timezone.now() + timedelta(days=expires_in_days),
        )
        record(token, event="api token created", action=LogEntry.Action.CREATE,
               changes={"name": [None, token.name], "scope": [None, scope],
                        "expires_at": [None, token.expires_at.isoformat()]})
    return NewToken(token=token, plain=plain)


def api_tokens_for_user(user: User) -> QuerySet[ApiToken]:
    """All of ``user``'s tokens, newest first (the page's list; someone else's are not in it)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def api_tokens_active(user: User, now: datetime | None = None) -> QuerySet[ApiToken]:
    now = now or timezone.now()
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def api_token_revoke(*, token: ApiToken) -> bool:
    """Revoke now (idempotent); True if it was not revoked before. The caller found
    ``token`` through :func:`api_tokens_for_user` (only the owner revokes)."""
    with transaction.atomic():
        now = timezone.now()
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
        if updated:
            token.revoked_at = now
            record(token, event="api token revoked", changes={"revoked_at": [None, now.isoformat()]})
    return bool(updated)


def api_token_authenticate(plain: str, *, now: datetime | None = None) -> ApiToken | None:
    """The usable token ``plain`` names, or None (wrong, expired, revoked, owner inactive).

    Marks it used, at most once per ``LAST_USED_PRECISION`` (one small UPDATE, not one per
    request)."""
    prefix = api_token_prefix(plain)
    found = TOKEN_ROWS.rows({"prefix": prefix}) if prefix is not None else []
    return api_token_verify(found[0] if found else None, plain, now=now)


def api_token_prefix(plain: str) -> str | None:
    """The prefix that finds ``plain``'s row (``TOKEN_ROWS``), or None when ``plain`` is not
    shaped like a token. Check the row it finds with :func:`api_token_verify`."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > _MAX_TOKEN_LENGTH:
        return None
    prefix, _, secret = plain[len(TOKEN_PREFIX):].partition("_")
    if not prefix or not secret:
        return None
    return prefix


def _by_prefix(shape: tuple, values: dict) -> QuerySet[ApiToken]:
    # prefix is unique: no ORDER BY needed for the one row.
    return ApiToken.objects.select_related("user").filter(prefix=values["prefix"]).order_by()[:1]


# The token's row with its owner, by prefix (``values={"prefix": ...}``): compiled once per
# process, as the API's token check runs it on every request (core.compiled).
TOKEN_ROWS = CompiledQuery(_by_prefix, lambda name: ApiToken._meta.get_field(name))


def api_token_verify(token: ApiToken | None, plain: str, *, now: datetime | None = None) -> ApiToken | None:
    """``token`` (found by ``TOKEN_ROWS``) if ``plain`` is its secret and it is
    usable now, else None; marks it used (see :func:`api_token_authenticate`)."""
    if token is None or not hmac.compare_digest(token.digest, _digest(plain)):
        return None
    now = now or timezone.now()
    if not token.is_usable(now):
        return None
    stale = now - LAST_USED_PRECISION
    if token.last_used_at is None or token.last_used_at < stale:
        # Conditional: of many requests racing past the check, one writes.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- My data (accounts.services.privacy) -------------------------------------------------


def api_tokens_export(user: User) -> list[dict[str, Any]]:
    """The person's tokens for their data export: names and dates, never a digest."""
    now = timezone.now()
    return [
        {"name": t.name, "starts_with": f"{TOKEN_PREFIX}{t.prefix}_", "scope": t.scope,
         "status": t.status(now), "created_at": t.created_at, "expires_at": t.expires_at,
         "last_used_at": t.last_used_at, "revoked_at": t.revoked_at}
        for t in api_tokens_for_user(user)
    ]


def api_tokens_count(user: User) -> int:
    return ApiToken.objects.filter(user=user).count()


def api_tokens_erase(user: User) -> dict[str, int]:
    """Deleting the account deletes its tokens (they stopped working with the account)."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return {"API tokens deleted": deleted}
