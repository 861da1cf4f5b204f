"""In-app notifications (and the emails that go with the urgent ones)."""

import logging

from django.conf import settings
from django.core.mail import send_mail
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
    """Create an in-app notification (once per ``dedupe_key``), optionally emailing it too."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, kind=kind, title=title[:200], body=body, url=url[:500], item_id=item_id,
                dedupe_key=dedupe_key[:120],
            )
    except IntegrityError:
        return None  # already told
    if email and user.is_active:
        link = url if url.startswith("http") else f"{settings.SITE_URL}{url}"
        try:
            send_mail(
                subject=title,
                message=f"Hello {user.get_short_name()},\n\n{body}\n\n{link}\n\n— {settings.SITE_NAME}",
                from_email=None,
                recipient_list=[user.email],
            )
        except Exception:
            logger.exception("could not email notification %s", notification.pk)
    return notification
