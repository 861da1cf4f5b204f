"""Connecting, reconnecting and disconnecting an employee's LinkedIn or X account.

The OAuth ``state`` is random, bound to the employee's session and single-use: it is
popped from the session before anything else is checked, so a replayed callback finds
nothing. X gets a fresh PKCE verifier per attempt (it lives next to the state).
"""

import logging
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from advocacy.models import AccountStatus, SocialAccount
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
CANCEL_ERRORS = {"user_cancelled_authorize", "user_cancelled_login", "access_denied"}


class ConnectError(Exception):
    """The connection failed; the message is shown to the employee."""


@dataclass(frozen=True)
class ConnectResult:
    account: SocialAccount
    reconnected: bool


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


def connect_finish(*, user: User, session, network: str, params: dict[str, str]) -> ConnectResult:
    """Handle the provider's redirect back to Chorus."""
    if network not in NETWORKS:
        raise ConnectError("Unknown network.")
    attempt = _pop_attempt(session, network)
    code = _authorization_code(network=network, attempt=attempt, params=params)
    tokens, profile = _exchange_code(network=network, code=code, code_verifier=attempt["verifier"])
    return _store_account(user=user, network=network, tokens=tokens, profile=profile)


def _authorization_code(*, network: str, attempt: dict | None, params: dict[str, str]) -> str:
    """The code from a callback that answers this session's own, recent attempt."""
    name = display_name(network)
    state = params.get("state", "")
    if attempt is None:
        raise ConnectError(f"This {name} sign-in was already used or has expired. Please connect again.")
    if not state or not secrets.compare_digest(state, attempt["state"]):
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


def _exchange_code(*, network: str, code: str, code_verifier: str | None) -> tuple[TokenSet, Profile]:
    """Tokens for ``code``, and the profile they belong to; network errors in plain words."""
    name = display_name(network)
    adapter = get_adapter(network)
    try:
        tokens = adapter.exchange_code(code=code, redirect_uri=redirect_uri(network), code_verifier=code_verifier)
        profile = adapter.profile(token=tokens)
    except (AuthError, RejectedError) as exc:
        raise ConnectError(
            f"{name} refused the sign-in ({exc}). Authorization codes expire quickly — please connect again."
        ) from exc
    except ConfigError as exc:
        logger.error("%s connect misconfigured: %s", network, exc)
        raise ConnectError(f"{name} connections are not set up correctly. Your administrators have been told.") from exc
    except (TransientError, NetworkError) as exc:
        raise ConnectError(f"{name} is not answering right now ({exc}). Please try again in a minute.") from exc
    return tokens, profile


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
        account.status = AccountStatus.ACTIVE
        account.last_error = ""
        account.connected_at = timezone.now()
        account.save()
    return ConnectResult(account=account, reconnected=reconnected)


def account_disconnect(*, account: SocialAccount) -> None:
    """Revoke at the provider where possible, then delete the tokens."""
    adapter = get_adapter(account.network)
    for token in (account.refresh_token, account.access_token):
        if not token:
            continue
        try:
            adapter.revoke(token=token)
        except NetworkError as exc:
            logger.info("revoke on %s failed (%s); deleting the tokens anyway", account.network, type(exc).__name__)
    SocialAccount.objects.filter(pk=account.pk).update(
        access_token="", refresh_token="", status=AccountStatus.REVOKED, expires_at=None,
        refresh_expires_at=None, updated_at=timezone.now(),
    )


def account_set_audience(*, account: SocialAccount, audience_size: int | None) -> None:
    """The employee's own count of LinkedIn connections (LinkedIn's API gives none)."""
    if audience_size is not None and not 0 <= audience_size <= 50_000_000:
        raise ConnectError("Enter a number of connections between 0 and 50,000,000.")
    SocialAccount.objects.filter(pk=account.pk).update(audience_size=audience_size)
