"""One-click unsubscribe (RFC 8058) from the signed link in every Chorus email.

The link signs the id of the ``EmailDelivery`` it came with: altering it breaks the
signature, and the first use stamps ``unsubscribed_at`` with a conditional UPDATE, so each
link works once. Unsubscribing keeps the notification centre and stops every email
(preference "in-app only"); the preferences page turns email back on.
"""

from dataclasses import dataclass

from django.core import signing
from django.db import transaction
from django.utils import timezone

from accounts.models import NotificationPreference, User
from notifications.emails import unsubscribe_delivery_id
from notifications.models import EmailDelivery
from notifications.services.inapp import NO_EMAIL_PREFERENCES


class UnsubscribeInvalid(Exception):
    """The link was altered, truncated or is too old; ``str()`` is shown as is."""


@dataclass(frozen=True)
class UnsubscribeOutcome:
    user: User
    done_now: bool  # False: this link had already been used


def unsubscribe_delivery(token: str) -> EmailDelivery:
    """The delivery a link belongs to, or ``UnsubscribeInvalid``."""
    try:
        delivery_id = unsubscribe_delivery_id(token)
    except signing.SignatureExpired as exc:
        raise UnsubscribeInvalid(
            "This unsubscribe link is too old. Change what we send you in your preferences."
        ) from exc
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise UnsubscribeInvalid("This unsubscribe link is not valid. Check that you copied all of it.") from exc
    delivery = EmailDelivery.objects.select_related("user").filter(pk=delivery_id).first()
    if delivery is None:
        raise UnsubscribeInvalid("This unsubscribe link is not valid any more.")
    return delivery


@transaction.atomic
def unsubscribe_apply(*, token: str) -> UnsubscribeOutcome:
    delivery = unsubscribe_delivery(token)
    used_now = EmailDelivery.objects.filter(pk=delivery.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )
    if used_now:
        User.objects.filter(pk=delivery.user_id).exclude(notification_preference__in=NO_EMAIL_PREFERENCES).update(
            notification_preference=NotificationPreference.IN_APP
        )
        delivery.user.refresh_from_db(fields=["notification_preference"])
    return UnsubscribeOutcome(user=delivery.user, done_now=bool(used_now))
