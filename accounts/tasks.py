"""Background work for accounts: sending invitations."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from accounts.models import User
from accounts.services.invitations import invitation_send

logger = logging.getLogger(__name__)


@shared_task(name="notify.send_invitations", acks_late=True)
def send_invitations(user_ids: list[int]) -> int:
    """Email invitations to users not yet sent one.

    Running twice is harmless: each user is stamped ``invitation_sent_at`` after
    their email goes out and stamped users are skipped.
    """
    sent = 0
    users = User.objects.filter(
        pk__in=user_ids,
        is_active=True,
        invited_at__isnull=False,
        invitation_sent_at__isnull=True,
        invitation_accepted_at__isnull=True,
    )
    for user in users.iterator():
        try:
            invitation_send(user=user)
            sent += 1
        except Exception:  # one bad address must not block the others
            logger.exception("invitation to user %s failed; the sweep retries", user.pk)
    return sent


@shared_task(name="accounts.send_pending_invitations")
def send_pending_invitations() -> int:
    """Beat sweep: invitations recorded while the broker was down get sent now."""
    cutoff = timezone.now() - timedelta(minutes=2)
    ids = list(
        User.objects.filter(
            is_active=True,
            invited_at__lte=cutoff,
            invitation_sent_at__isnull=True,
            invitation_accepted_at__isnull=True,
        ).values_list("pk", flat=True)[:2000]
    )
    return send_invitations(ids) if ids else 0
