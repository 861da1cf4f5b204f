"""The token lifecycle of connected accounts.

X access tokens live two hours and X **rotates refresh tokens**: every refresh returns
a new refresh token and kills the old one. Two workers refreshing the same account at
once would leave one of them holding a dead token — and if that one saved last, the
account would be lost. So a refresh happens under a lock (a Redis lock, plus a row lock
where the database has them), re-reads the account after taking the lock (another
worker may have refreshed it already), and stores the new pair in one UPDATE.

LinkedIn usually gives no refresh token (only partner apps get one): its 60-day token
simply expires, so a beat sweep warns the employee 7 days and 1 day before, with a
one-click reconnect link.
"""

import logging
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from advocacy import signals
from advocacy.models import AccountStatus, SocialAccount
from core.redis import get_redis
from networks import AuthError, TokenSet
from networks.registry import get_adapter

logger = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)
WARN_BEFORE = (timedelta(days=7), timedelta(days=1))


def token_set(account: SocialAccount) -> TokenSet:
    return TokenSet(
        access_token=account.access_token,
        refresh_token=account.refresh_token or None,
        expires_at=account.expires_at,
        refresh_expires_at=account.refresh_expires_at,
        scopes=tuple(account.scopes.split()),
    )


def account_store_tokens(*, account: SocialAccount, tokens: TokenSet) -> SocialAccount:
    """Store a new token pair atomically (one UPDATE) and mark the account healthy."""
    account.access_token = tokens.access_token
    # X rotates: always take the new one. LinkedIn may omit it: keep what we have.
    if tokens.refresh_token:
        account.refresh_token = tokens.refresh_token
        account.refresh_expires_at = tokens.refresh_expires_at
    account.expires_at = tokens.expires_at
    if tokens.scopes:
        account.scopes = " ".join(tokens.scopes)
    account.status = AccountStatus.ACTIVE
    account.last_error = ""
    account.last_refreshed_at = timezone.now()
    account.save(update_fields=[
        "access_token", "refresh_token", "refresh_expires_at", "expires_at", "scopes", "status",
        "last_error", "last_refreshed_at", "updated_at",
    ])
    return account


@contextmanager
def _refresh_lock(account_id: int):
    try:
        lock = get_redis().lock(f"lock:refresh:{account_id}", timeout=60, blocking_timeout=30)
        acquired = lock.acquire()
    except Exception:  # Redis unreachable: the row lock below still serialises on PostgreSQL
        lock, acquired = None, False
    try:
        yield
    finally:
        if lock is not None and acquired:
            try:
                lock.release()
            except Exception:
                logger.warning("refresh lock for account %s expired before release", account_id)


def _needs_refresh(account: SocialAccount, now: datetime, margin: timedelta = REFRESH_MARGIN) -> bool:
    return bool(account.refresh_token) and (
        account.expires_at is None or account.expires_at <= now + margin
    )


def account_refresh(
    *, account: SocialAccount, force: bool = False, margin: timedelta = REFRESH_MARGIN
) -> SocialAccount:
    """Refresh the access token if it is (nearly) expired. Safe under concurrency."""
    with _refresh_lock(account.pk):
        try:
            with transaction.atomic():
                fresh = SocialAccount.objects.select_for_update().get(pk=account.pk)
                if not fresh.refresh_token or not fresh.is_usable:
                    return fresh
                if not force and not _needs_refresh(fresh, timezone.now(), margin):
                    return fresh  # another worker refreshed it while we waited for the lock
                tokens = get_adapter(fresh.network).refresh(refresh_token=fresh.refresh_token)
                return account_store_tokens(account=fresh, tokens=tokens)
        except AuthError as exc:
            # Outside the rolled-back transaction, so the mark and the notice stick.
            account_mark_needs_reconnect(account=account, reason=str(exc))
            raise


def account_access_token(*, account: SocialAccount) -> TokenSet:
    """A usable token for ``account``, refreshed first if needed. Raises AuthError if dead."""
    now = timezone.now()
    if not account.is_usable:
        raise AuthError(f"Your {account.get_network_display()} connection needs reconnecting.",
                        network=account.network)
    if _needs_refresh(account, now):
        account = account_refresh(account=account)
    if account.expires_at and account.expires_at <= now:
        account_mark_needs_reconnect(account=account, reason="The connection has expired.")
        raise AuthError(f"Your {account.get_network_display()} connection has expired. Reconnect it to share.",
                        network=account.network)
    return token_set(account)


def account_mark_needs_reconnect(*, account: SocialAccount, reason: str) -> None:
    """A 401 or a dead refresh token: the employee must reconnect. Tell them once."""
    updated = SocialAccount.objects.filter(pk=account.pk).exclude(status=AccountStatus.NEEDS_RECONNECT).update(
        status=AccountStatus.NEEDS_RECONNECT, last_error=reason[:500], updated_at=timezone.now()
    )
    account.status = AccountStatus.NEEDS_RECONNECT
    account.last_error = reason[:500]
    if updated:
        signals.account_needs_reconnect.send(sender=SocialAccount, account=account, reason=reason)


def accounts_refresh_due(*, now: datetime | None = None) -> int:
    """Beat: refresh X tokens that expire within the next 15 minutes."""
    now = now or timezone.now()
    window = timedelta(minutes=15)
    due = SocialAccount.objects.filter(
        status__in=[AccountStatus.ACTIVE, AccountStatus.EXPIRING],
        expires_at__lte=now + window,
    ).exclude(refresh_token="")
    refreshed = 0
    for account in due:
        try:
            account_refresh(account=account, margin=window)
            refreshed += 1
        except Exception as exc:
            logger.warning("refresh of account %s failed: %s", account.pk, type(exc).__name__)
    return refreshed


def accounts_warn_expiring(*, now: datetime | None = None) -> int:
    """Beat: warn employees whose connection without a refresh token expires in 7 days / 1 day."""
    now = now or timezone.now()
    warned = 0
    accounts = SocialAccount.objects.filter(
        refresh_token="",
        status__in=[AccountStatus.ACTIVE, AccountStatus.EXPIRING],
        expires_at__isnull=False,
        expires_at__lte=now + WARN_BEFORE[0],
    ).select_related("user")
    for account in accounts:
        if account.expires_at <= now:
            account_mark_needs_reconnect(account=account, reason="The connection expired.")
            continue
        if account.status != AccountStatus.EXPIRING:
            SocialAccount.objects.filter(pk=account.pk).update(status=AccountStatus.EXPIRING)
        left = account.expires_at - now
        threshold = "1d" if left <= WARN_BEFORE[1] else "7d"
        days = max(1, round(left.total_seconds() / 86400))
        replies = signals.account_expiring.send(
            sender=SocialAccount, account=account, days_left=days, threshold=threshold
        )
        warned += any(warned_now for _, warned_now in replies)
    return warned
