"""What advocacy stops when a person is deactivated (``accounts.signals.user_deactivated``,
heard in ``advocacy.receivers``): nothing may act in their name any more.

- Their shares still waiting to go out (*queued* or *scheduled*) are cancelled. A share
  already *posting* cannot be recalled: a worker has sent it, or is sending it, to the
  network; it ends posted or failed like any other. So is a queued share with an
  attempt that may have landed (``ambiguous_at``): cancelling it could hide a post that
  exists; it is left to the worker, which can no longer post for them (their tokens are
  gone) and settles it.
- Every LinkedIn and X grant is revoked at the provider and its tokens deleted, through
  the Disconnect path (``account_disconnect``). A provider that does not answer, or that
  refuses, does not keep the tokens: they are deleted in Chorus all the same and the
  failure is logged (the network and the error's type, never the token). The connection
  row stays, marked *Disconnected*, as after the Disconnect button: the history of which
  account posted what is kept; deleting the account (``advocacy.services.privacy``)
  removes it.

Both are safe to repeat: a cancelled share and a connection without tokens are skipped.
"""

import logging
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import User
from advocacy.models import AccountStatus, Share, ShareStatus, SocialAccount
from advocacy.services.connections import account_disconnect

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stopped:
    shares_cancelled: int
    connections_revoked: int
    # Tokens deleted in Chorus although the provider did not confirm the revocation.
    connections_unconfirmed: int


def shares_cancel_unsent(*, user: User) -> int:
    """Cancel ``user``'s shares still waiting to go out; returns how many."""
    return Share.objects.filter(
        user=user, status__in=[ShareStatus.QUEUED, ShareStatus.SCHEDULED], ambiguous_at__isnull=True,
    ).update(status=ShareStatus.CANCELLED, updated_at=timezone.now())


def _forget_tokens(account: SocialAccount) -> None:
    SocialAccount.objects.filter(pk=account.pk).update(
        access_token="", refresh_token="", status=AccountStatus.REVOKED, expires_at=None,
        refresh_expires_at=None, updated_at=timezone.now(),
    )


def connections_end(*, user: User) -> tuple[int, int]:
    """Revoke and forget every grant ``user`` still holds: (confirmed, unconfirmed)."""
    confirmed = unconfirmed = 0
    for account in SocialAccount.objects.filter(user=user):
        if not (account.access_token or account.refresh_token):
            continue  # nothing held (disconnected already)
        try:
            ok = account_disconnect(account=account)
        except Exception as exc:  # noqa: BLE001  (whatever went wrong, the tokens go)
            logger.warning("revoking %s connection %s failed (%s); tokens deleted anyway",
                           account.network, account.pk, type(exc).__name__)
            _forget_tokens(account)
            ok = False
        if ok:
            confirmed += 1
        else:
            unconfirmed += 1
    return confirmed, unconfirmed


def advocacy_stop_for(*, user: User) -> Stopped:
    """Stop everything advocacy does in ``user``'s name (see the module docstring).
    The shares go first: they are one UPDATE, the revocations are calls to the networks."""
    cancelled = shares_cancel_unsent(user=user)
    confirmed, unconfirmed = connections_end(user=user)
    if cancelled or confirmed or unconfirmed:
        logger.info("deactivated user %s: %d share(s) cancelled, %d connection(s) revoked, %d unconfirmed",
                    user.pk, cancelled, confirmed, unconfirmed)
    return Stopped(shares_cancelled=cancelled, connections_revoked=confirmed, connections_unconfirmed=unconfirmed)
