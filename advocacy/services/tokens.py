"""The token lifecycle of connected accounts.

X access tokens live two hours and X **rotates refresh tokens**: every refresh returns
a new refresh token and kills the old one. Two workers refreshing the same account at
once would leave one of them holding a dead token — and if that one saved last, the
account would be lost. So a refresh happens under a lock (a Redis lock, plus a row lock
where the database has them), re-reads the account after taking the lock (another
worker may have refreshed it already), and stores the new pair in one UPDATE.

What a failed refresh means depends on the error (``networks.errors``):

- ``AuthError`` (the refresh token is dead): the account needs reconnecting and the
  employee is told, once.
- ``TransientError`` (a 5xx, a 429, a body that is not JSON): nothing is marked and
  nobody is told; the beat tries again on its next run, and a token that is still valid
  keeps being used meanwhile.
- ``ConfigError`` (X's ``unauthorized_client``/``invalid_client``: Chorus's app is set
  up wrongly): the admins are emailed (at most once an hour) and the employee's account
  is left alone — it is not their connection that is broken.

Connections that cannot renew themselves (LinkedIn without partner refresh tokens: 60
days; X when the consent lacked ``offline.access``: two hours) are warned about before
they lapse and marked *needs reconnecting* when they do (``accounts_warn_expiring``).
A LinkedIn app approved for programmatic refresh does get refresh tokens: those accounts
are refreshed a few days before their 60 days are up instead (``accounts_refresh_due``).
"""

import logging
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.core.mail import mail_admins
from django.db import transaction
from django.utils import timezone

from advocacy import signals
from advocacy.models import AccountStatus, SocialAccount
from core.redis import get_redis
from networks import AuthError, ConfigError, NetworkError, TokenSet, TransientError, display_name
from networks.registry import get_adapter

logger = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)  # refresh on use when the token expires this soon
REFRESH_WINDOW = timedelta(minutes=15)  # the beat refreshes tokens expiring this soon (it runs every 10)
# Long-lived tokens are refreshed well ahead, so a provider outage of a day or two costs
# nothing. (Network policy: belongs on the adapter, e.g. ``refresh_ahead``.)
REFRESH_AHEAD = {"linkedin": timedelta(days=5)}
# Networks whose refresh answer *replaces* the refresh token: an answer without one means
# the old one is dead too. (Network policy: belongs on the adapter, e.g. ``rotates_refresh_tokens``.)
ROTATING_REFRESH = frozenset({"x"})
WARN_BEFORE = (timedelta(days=7), timedelta(days=1))
SHORT_LIVED = timedelta(days=1)  # a token living this long or less gets one warning, not the ladder
ADMIN_ALERT_EVERY = 3600  # seconds: one email per kind of configuration failure per hour


def token_set(account: SocialAccount) -> TokenSet:
    return TokenSet(
        access_token=account.access_token,
        refresh_token=account.refresh_token or None,
        expires_at=account.expires_at,
        refresh_expires_at=account.refresh_expires_at,
        scopes=tuple(account.scopes.split()),
    )


def account_store_tokens(*, account: SocialAccount, tokens: TokenSet) -> SocialAccount:
    """Store a refreshed token pair atomically (one UPDATE) and mark the account healthy."""
    account.access_token = tokens.access_token
    if tokens.refresh_token:
        account.refresh_token = tokens.refresh_token
        account.refresh_expires_at = tokens.refresh_expires_at
    elif account.network in ROTATING_REFRESH:
        # X rotates: no new refresh token means the old one died with this refresh. The
        # account now lives as long as this access token (warned, then reconnect).
        account.refresh_token = ""
        account.refresh_expires_at = None
    # Otherwise (LinkedIn) the refresh token is reused: keep what we have.
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


def refresh_window(network: str) -> timedelta:
    """How long before expiry the beat refreshes a token of ``network``."""
    return max(REFRESH_WINDOW, REFRESH_AHEAD.get(network, REFRESH_WINDOW))


def admins_alert_once(*, key: str, subject: str, message: str) -> bool:
    """Email the admins about a configuration problem, at most once an hour per ``key``.

    The "once" is a Redis key (``SET NX EX``) shared by every worker. Fails open: when
    Redis cannot be asked, the email goes out (a duplicate beats a silent failure).
    Returns whether an email was attempted."""
    try:
        first = bool(get_redis().set(f"alert:admins:{key}", "1", nx=True, ex=ADMIN_ALERT_EVERY))
    except Exception:
        first = True
    if not first:
        return False
    try:
        mail_admins(subject, message)
    except Exception:
        logger.exception("could not email admins")
    return True


def _alert_refresh_misconfigured(account: SocialAccount, exc: ConfigError) -> None:
    name = display_name(account.network)
    logger.error("%s token refresh refused for an app configuration reason: %s", account.network, exc)
    admins_alert_once(
        key=f"refresh-config:{account.network}",
        subject=f"Chorus: {name} refuses to renew connections (app configuration)",
        message=(
            f"{exc}\n\nProvider said: {exc.provider_message or '(nothing)'}\n\n"
            f"{name} refused to renew an employee's connection because of how the Chorus {name} app is "
            "set up (client ID, secret, app type or permissions), not because of the employee. Their "
            "connections are left as they are; renewals are tried again and work once the app is fixed. "
            "You will get at most one of these emails an hour."
        ),
    )


def account_refresh(
    *, account: SocialAccount, force: bool = False, margin: timedelta = REFRESH_MARGIN
) -> SocialAccount:
    """Refresh the access token if it is (nearly) expired. Safe under concurrency.

    Raises what the adapter raised: ``AuthError`` after marking the account for
    reconnection, ``ConfigError`` after alerting the admins, ``TransientError`` as is."""
    with _refresh_lock(account.pk):
        try:
            with transaction.atomic():
                fresh = SocialAccount.objects.select_for_update().get(pk=account.pk)
                if not fresh.refresh_token or not fresh.is_usable:
                    return fresh
                if not force and not _needs_refresh(fresh, timezone.now(), margin):
                    return fresh  # another worker refreshed it while we waited for the lock
                tokens = get_adapter(fresh.network).refresh(refresh_token=fresh.refresh_token)
                stored = account_store_tokens(account=fresh, tokens=tokens)
        except AuthError as exc:
            # Outside the rolled-back transaction, so the mark and the notice stick.
            account_mark_needs_reconnect(account=account, reason=str(exc))
            raise
        except ConfigError as exc:
            _alert_refresh_misconfigured(account, exc)
            raise
        except TransientError as exc:
            logger.warning("refresh of account %s failed for now (%s); tried again later", account.pk, exc)
            raise
    if not stored.refresh_token:
        # The network stopped renewing it (X answered without a refresh token): say so now,
        # not at the next hourly sweep, which may come after a two-hour token has lapsed.
        account_warn_expiring(account=stored)
    return stored


def account_access_token(*, account: SocialAccount) -> TokenSet:
    """A usable token for ``account``, refreshed first if needed. Raises AuthError if dead.

    A refresh that fails for a transient or configuration reason while the current
    token is still valid is not the employee's problem: the current token is used."""
    now = timezone.now()
    name = display_name(account.network)
    if not account.is_usable:
        raise AuthError(account.last_error or f"Your {name} connection needs reconnecting.",
                        network=account.network)
    if _needs_refresh(account, now):
        try:
            account = account_refresh(account=account)
        except (TransientError, ConfigError):
            if account.expires_at is None or account.expires_at <= now:
                raise
            logger.info("using account %s's current token until its refresh succeeds", account.pk)
        if not account.is_usable:
            raise AuthError(account.last_error or f"Your {name} connection needs reconnecting.",
                            network=account.network)
    if account.expires_at and account.expires_at <= now:
        account_mark_needs_reconnect(account=account, reason=_lapsed_reason(account), expired=True)
        raise AuthError(f"Your {name} connection has expired. Reconnect it to share.", network=account.network)
    return token_set(account)


def account_mark_needs_reconnect(*, account: SocialAccount, reason: str, expired: bool = False) -> None:
    """A 401 or a dead refresh token: the employee must reconnect. Tell them once.
    ``expired``: a connection that could not renew itself simply ran out."""
    updated = SocialAccount.objects.filter(pk=account.pk).exclude(status=AccountStatus.NEEDS_RECONNECT).update(
        status=AccountStatus.NEEDS_RECONNECT, last_error=reason[:500], updated_at=timezone.now()
    )
    account.status = AccountStatus.NEEDS_RECONNECT
    account.last_error = reason[:500]
    if updated:
        signals.account_needs_reconnect.send(sender=SocialAccount, account=account, reason=reason, expired=expired)


def _lapsed_reason(account: SocialAccount) -> str:
    return f"Your {display_name(account.network)} connection expired and could not renew itself."


def accounts_refresh_due(*, now: datetime | None = None) -> int:
    """Beat: refresh every token that can be refreshed and expires soon — X's two-hour
    tokens in their last 15 minutes, LinkedIn's 60-day tokens (apps approved for
    programmatic refresh) a few days ahead. A failure only skips that account this time:
    transient ones are tried again on the next run, without telling anyone."""
    now = now or timezone.now()
    longest = max(refresh_window(network) for network in (*REFRESH_AHEAD, ""))
    due = SocialAccount.objects.filter(
        status__in=[AccountStatus.ACTIVE, AccountStatus.EXPIRING],
        expires_at__lte=now + longest,
    ).exclude(refresh_token="")
    refreshed = 0
    for account in due:
        window = refresh_window(account.network)
        if account.expires_at > now + window:
            continue
        try:
            account_refresh(account=account, margin=window)
            refreshed += 1
        except TransientError as exc:
            logger.info("refresh of account %s postponed: %s", account.pk, exc)
        except NetworkError as exc:  # AuthError: marked; ConfigError: admins alerted
            logger.warning("refresh of account %s failed: %s", account.pk, type(exc).__name__)
        except Exception:
            logger.exception("refresh of account %s failed", account.pk)
    return refreshed


def expiry_threshold(account: SocialAccount, now: datetime) -> str | None:
    """Which warning a connection without a refresh token is due, if any.

    ``"7d"``/``"1d"`` for long-lived tokens (LinkedIn's 60 days). ``"once"`` for a token
    that lives a day or less from the start (X without ``offline.access``: two hours),
    where a 7-day/1-day ladder means nothing: one warning, as soon as it is known, with
    its real expiry time."""
    if account.refresh_token or account.expires_at is None or account.expires_at <= now:
        return None
    issued = max(t for t in (account.connected_at, account.last_refreshed_at) if t is not None)
    if account.expires_at - issued <= SHORT_LIVED:
        return "once"
    left = account.expires_at - now
    if left > WARN_BEFORE[0]:
        return None
    return "1d" if left <= WARN_BEFORE[1] else "7d"


def account_warn_expiring(*, account: SocialAccount, now: datetime | None = None) -> bool:
    """Warn the employee that ``account`` cannot renew itself and expires soon (once per
    threshold: the listener dedupes). Marks it *expiring*. Returns whether a warning went out."""
    now = now or timezone.now()
    threshold = expiry_threshold(account, now)
    if threshold is None or not account.is_usable:
        return False
    if account.status != AccountStatus.EXPIRING:
        SocialAccount.objects.filter(pk=account.pk, status=AccountStatus.ACTIVE).update(status=AccountStatus.EXPIRING)
        account.status = AccountStatus.EXPIRING
    days = max(1, round((account.expires_at - now).total_seconds() / 86400))
    replies = signals.account_expiring.send(sender=SocialAccount, account=account, days_left=days, threshold=threshold)
    return any(warned for _, warned in replies)


def accounts_warn_expiring(*, now: datetime | None = None) -> int:
    """Beat: warn employees whose connection cannot renew itself and expires soon, and mark
    the lapsed ones *needs reconnecting*."""
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
            account_mark_needs_reconnect(account=account, reason=_lapsed_reason(account), expired=True)
            continue
        warned += account_warn_expiring(account=account, now=now)
    return warned
