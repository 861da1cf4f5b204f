"""Connecting, reconnecting and disconnecting an employee's LinkedIn or X account.

The OAuth ``state`` is random, bound to the employee's session and single-use: it is
popped from the session before anything else is checked, so a replayed callback finds
nothing. X gets a fresh PKCE verifier per attempt (it lives next to the state).

After the exchange, what the provider actually *granted* decides how the connection is
kept (an employee may untick a permission; an app may not be approved for one):

- without the permission to post (``WRITE_SCOPES``) the connection is stored but marked
  *needs reconnecting* with a message saying so: sharing refuses it until the employee
  reconnects and allows posting;
- without a refresh token (X when ``offline.access`` was not granted) it is stored as
  unable to renew itself, the employee is told its real expiry at once, and it is marked
  *needs reconnecting* when it lapses (``advocacy.services.tokens``).

A ``ConfigError`` while connecting (a 403 for a product the app lacks, refused app
credentials) is Chorus's set-up, not the employee's doing: they see exactly what is
missing, and the admins are emailed.
"""

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.localtime import local_time
from accounts.models import User
from advocacy.models import AccountStatus, SocialAccount
from advocacy.services.tokens import account_warn_expiring, admins_alert_once, expiry_threshold
from networks import (
    AuthError,
    ConfigError,
    NetworkError,
    Profile,
    RejectedError,
    TokenSet,
    TransientError,
    display_name,
)
from networks.registry import NETWORKS, get_adapter

logger = logging.getLogger(__name__)
SESSION_KEY = "chorus.oauth"
ATTEMPT_MAX_AGE = 10 * 60  # seconds an authorization attempt stays valid
MAX_STATE_LENGTH = 512  # ours are 43 characters; anything this long is not an answer to us
CANCEL_ERRORS = {"user_cancelled_authorize", "user_cancelled_login", "access_denied"}
# The granted scope that lets Chorus post for the employee. (Network policy: belongs on
# the adapter, e.g. ``NetworkAdapter.write_scope``; here until it moves.)
WRITE_SCOPES = {"linkedin": "w_member_social", "x": "tweet.write"}
# Why an X connection cannot renew itself, in words for the employee.
_NO_RENEW_WHY = {"x": "because posting access wasn't granted to stay signed in"}


class ConnectError(Exception):
    """The connection failed; the message is shown to the employee."""


@dataclass(frozen=True)
class ConnectResult:
    account: SocialAccount
    reconnected: bool
    # What the employee must know about the connection just made (it cannot post, or
    # cannot renew itself); empty when it is simply ready.
    warning: str = ""

    @property
    def can_post(self) -> bool:
        return account_can_post(self.account)


def account_can_post(account: SocialAccount) -> bool:
    """Whether the scopes granted to ``account`` include posting (unknown scopes: yes)."""
    scope = WRITE_SCOPES.get(account.network)
    return not scope or not account.scopes or scope in account.scope_set


def cannot_post_message(network: str) -> str:
    name = display_name(network)
    return (
        f"Chorus can't post to {name} for you: posting wasn't allowed when you connected. "
        f"Reconnect {name} and allow posting."
    )


def account_block_reason(account: SocialAccount | None) -> str:
    """Why sharing to ``account`` is refused, in the employee's words ("" when it is usable)."""
    if account is None or account.status == AccountStatus.REVOKED:
        return ""
    if not account_can_post(account):
        return cannot_post_message(account.network)
    if not account.is_usable:
        return account.last_error or f"Your {display_name(account.network)} connection needs reconnecting."
    return ""


def redirect_uri(network: str) -> str:
    return settings.SITE_URL + reverse("connect_callback", args=[network])


def connect_start(*, session, network: str) -> str:
    """Begin an authorization attempt; returns the provider URL to send the browser to."""
    if network not in NETWORKS:
        raise ConnectError("Unknown network.")
    adapter = get_adapter(network)
    state = secrets.token_urlsafe(32)
    auth = adapter.authorization_request(redirect_uri=redirect_uri(network), state=state)
    attempts = dict(session.get(SESSION_KEY, {}))
    attempts[network] = {"state": auth.state, "verifier": auth.code_verifier, "at": time.time()}
    session[SESSION_KEY] = attempts
    return auth.url


def _pop_attempt(session, network: str) -> dict | None:
    attempts = dict(session.get(SESSION_KEY, {}))
    attempt = attempts.pop(network, None)
    session[SESSION_KEY] = attempts
    return attempt


def connect_finish(
    *, user: User, session, network: str, params: dict[str, str], pause: Callable[[float], None] | None = None
) -> ConnectResult:
    """Handle the provider's redirect back to Chorus. ``pause`` replaces the adapter's wait
    before its one retry of a just-issued token's profile call (tests: no real sleep)."""
    if network not in NETWORKS:
        raise ConnectError("Unknown network.")
    attempt = _pop_attempt(session, network)
    code = _authorization_code(network=network, attempt=attempt, params=params)
    tokens, profile = _exchange_code(network=network, code=code, code_verifier=attempt["verifier"], pause=pause)
    result = _store_account(user=user, network=network, tokens=tokens, profile=profile)
    return _with_warning(result)


def _with_warning(result: ConnectResult) -> ConnectResult:
    """Tell the employee now what they must know about the connection just stored."""
    account = result.account
    if not account_can_post(account):
        return ConnectResult(account=account, reconnected=result.reconnected,
                             warning=cannot_post_message(account.network))
    if expiry_threshold(account, timezone.now()) == "once":
        # It lives hours, not weeks: the in-app warning goes out now, and the page says so.
        account_warn_expiring(account=account)
        name = display_name(account.network)
        why = _NO_RENEW_WHY.get(account.network, "")
        warning = (
            f"This {name} connection can't renew itself{f' {why}' if why else ''}. It works until "
            f"{local_time(account.expires_at, account.user)}; after that, reconnect "
            f"{'and allow Chorus to stay signed in ' if why else ''}to keep sharing."
        )
        return ConnectResult(account=account, reconnected=result.reconnected, warning=warning)
    return result


def _state_matches(received: str, expected: str | None) -> bool:
    """Constant-time comparison of the callback's ``state`` with the session's.

    Compared as UTF-8 bytes: ``compare_digest`` raises ``TypeError`` on a ``str`` with
    non-ASCII characters (a 500 before). Empty or absurdly long values never match.
    """
    if not received or not expected or len(received) > MAX_STATE_LENGTH:
        return False
    return secrets.compare_digest(
        received.encode("utf-8", "surrogatepass"), str(expected).encode("utf-8", "surrogatepass")
    )


def _authorization_code(*, network: str, attempt: dict | None, params: dict[str, str]) -> str:
    """The code from a callback that answers this session's own, recent attempt."""
    name = display_name(network)
    state = params.get("state", "")
    if attempt is None:
        raise ConnectError(f"This {name} sign-in was already used or has expired. Please connect again.")
    if not _state_matches(state, attempt["state"]):
        raise ConnectError(
            f"The answer from {name} didn't match your connection attempt, so we ignored it for your safety. "
            "Please connect again."
        )
    error = params.get("error")
    if error:
        if error in CANCEL_ERRORS:
            raise ConnectError(f"You cancelled connecting {name}. Nothing was changed.")
        description = params.get("error_description", "")[:200]
        raise ConnectError(f"{name} did not allow the connection ({error}{': ' + description if description else ''}).")
    if time.time() - attempt["at"] > ATTEMPT_MAX_AGE:
        raise ConnectError(f"This {name} sign-in took too long and expired. Please connect again.")
    code = params.get("code", "")
    if not code:
        raise ConnectError(f"{name} sent no authorization code. Please connect again.")
    return code


def _exchange_code(
    *, network: str, code: str, code_verifier: str | None, pause: Callable[[float], None] | None = None
) -> tuple[TokenSet, Profile]:
    """Tokens for ``code``, and the profile they belong to; network errors in plain words."""
    name = display_name(network)
    adapter = get_adapter(network)
    try:
        tokens = adapter.exchange_code(code=code, redirect_uri=redirect_uri(network), code_verifier=code_verifier)
        # first_call: LinkedIn may call a token it has just issued "revoked"; the adapter
        # then asks once more after a short pause (``adapter.sleep``, injectable).
        if pause is not None and hasattr(adapter, "sleep"):
            adapter.sleep = pause
        profile = adapter.profile(token=tokens, first_call=True)
    except (AuthError, RejectedError) as exc:
        raise ConnectError(
            f"{name} refused the sign-in ({exc}). Authorization codes expire quickly — please connect again."
        ) from exc
    except ConfigError as exc:
        _alert_connect_misconfigured(network, exc)
        raise ConnectError(f"{name} can't be connected yet: {exc} Your administrators have been told.") from exc
    except (TransientError, NetworkError) as exc:
        raise ConnectError(f"{name} is not answering right now ({exc}). Please try again in a minute.") from exc
    return tokens, profile


def _alert_connect_misconfigured(network: str, exc: ConfigError) -> None:
    name = display_name(network)
    logger.error("%s connect misconfigured: %s", network, exc)
    admins_alert_once(
        key=f"connect-config:{network}:{exc.status}:{exc.code}",
        subject=f"Chorus: employees can't connect {name} (app configuration)",
        message=(
            f"{exc}\n\nProvider said: {exc.provider_message or '(nothing)'} (HTTP {exc.status or '?'})\n\n"
            f"An employee tried to connect {name} and {name} refused because of how the Chorus {name} app is set "
            "up. Nobody can connect until it is fixed. You will get at most one of these emails an hour."
        ),
    )


def _store_account(*, user: User, network: str, tokens: TokenSet, profile: Profile) -> ConnectResult:
    """Save the connection on the employee's account for ``network`` (new, renewed or replaced),
    unless another Chorus user holds this network account."""
    taken = SocialAccount.objects.filter(network=network, remote_id=profile.remote_id).exclude(user=user)
    if taken.filter(status__in=[AccountStatus.ACTIVE, AccountStatus.EXPIRING]).exists():
        raise ConnectError(f"This {display_name(network)} account is already connected to another Chorus user.")

    with transaction.atomic():
        account = SocialAccount.objects.select_for_update().filter(user=user, network=network).first()
        reconnected = account is not None
        account = account or SocialAccount(user=user, network=network)
        if account.remote_id and account.remote_id != profile.remote_id:
            reconnected = False  # a different account replaces the old one
        account.remote_id = profile.remote_id
        account.handle = profile.handle[:100]
        account.display_name = profile.display_name[:200]
        account.avatar_url = (profile.avatar_url or "")[:1000]
        if profile.audience_size is not None:
            account.audience_size = profile.audience_size
        account.access_token = tokens.access_token
        account.refresh_token = tokens.refresh_token or ""
        account.expires_at = tokens.expires_at
        account.refresh_expires_at = tokens.refresh_expires_at
        account.scopes = " ".join(tokens.scopes)
        if account_can_post(account):
            account.status, account.last_error = AccountStatus.ACTIVE, ""
        else:
            # Stored (so the page can say what is wrong) but unusable until reconnected.
            # Not announced as "needs reconnect": the employee is reading the answer now.
            account.status, account.last_error = AccountStatus.NEEDS_RECONNECT, cannot_post_message(network)
        account.connected_at = timezone.now()
        account.last_refreshed_at = None
        account.save()
    return ConnectResult(account=account, reconnected=reconnected)


def account_disconnect(*, account: SocialAccount) -> bool:
    """Revoke at the provider where possible, then delete the tokens. True when the
    provider accepted every revocation (or there was nothing to revoke)."""
    adapter = get_adapter(account.network)
    revoked = True
    for token in (account.refresh_token, account.access_token):
        if not token:
            continue
        try:
            adapter.revoke(token=token)
        except NetworkError as exc:
            revoked = False
            logger.info("revoke on %s failed (%s); deleting the tokens anyway", account.network, type(exc).__name__)
    SocialAccount.objects.filter(pk=account.pk).update(
        access_token="", refresh_token="", status=AccountStatus.REVOKED, expires_at=None,
        refresh_expires_at=None, updated_at=timezone.now(),
    )
    return revoked


def account_set_audience(*, account: SocialAccount, audience_size: int | None) -> None:
    """The employee's own count of LinkedIn connections (LinkedIn's API gives none)."""
    if audience_size is not None and not 0 <= audience_size <= 50_000_000:
        raise ConnectError("Enter a number of connections between 0 and 50,000,000.")
    SocialAccount.objects.filter(pk=account.pk).update(audience_size=audience_size)
