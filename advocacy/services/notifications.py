"""In-app notifications (and the emails that go with the urgent ones)."""

import logging

from django.db import IntegrityError, transaction

from accounts.models import User
from advocacy.models import Notification

logger = logging.getLogger(__name__)


def notify(
    *,
    user: User,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    item_id: int | None = None,
    dedupe_key: str = "",
    email: bool = False,
) -> Notification | None:
    """Create an in-app notification (once per ``dedupe_key``), optionally emailing it too.

    The email (HTML + text, logged as an ``EmailDelivery`` and retried if the mail server
    fails) goes only to people who accept email: "in-app only", "none" and one-click
    unsubscribes get the notification in the app alone.
    """
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, kind=kind, title=title[:200], body=body, url=url[:500], item_id=item_id,
                dedupe_key=dedupe_key[:120],
            )
    except IntegrityError:
        return None  # already told
    if email:
        from advocacy.notifications.services.inapp import alert_email_send

        try:
            alert_email_send(notification=notification)
        except Exception:
            logger.exception("could not email notification %s", notification.pk)
    return notification
