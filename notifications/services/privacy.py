"""What notifications holds about a person, for "My data" and account deletion
(``accounts.services.privacy``): in-app notifications, the log of emails sent to them and
the devices they turned push notifications on for. All are deleted with the account: no
count or total is built on them.
"""

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from accounts.models import User
from accounts.services.privacy import PersonalData, register_personal_data
from notifications.models import EmailDelivery, Notification, PushSubscription


def notifications_export(user: User) -> Iterator[dict[str, Any]]:
    rows = (
        Notification.objects.filter(user=user).order_by("created_at", "pk")
        .values("id", "kind", "title", "body", "url", "created_at", "read_at")
    )
    yield from rows.iterator(chunk_size=1000)


def emails_export(user: User) -> Iterator[dict[str, Any]]:
    rows = (
        EmailDelivery.objects.filter(user=user).order_by("created_at", "pk")
        .values("id", "kind", "period", "to_email", "subject", "status", "created_at", "sent_at",
                "unsubscribed_at")
    )
    yield from rows.iterator(chunk_size=1000)


def push_devices_export(user: User) -> Iterator[dict[str, Any]]:
    """The devices, not their keys: the push service's address and the browser's name."""
    for row in PushSubscription.objects.filter(user=user).order_by("created_at", "pk"):
        yield {"id": row.pk, "push_service": urlsplit(row.endpoint).hostname,
               "browser": row.user_agent, "created_at": row.created_at, "last_success_at": row.last_success_at}


def notifications_erase(user: User) -> dict[str, int]:
    emails = EmailDelivery.objects.filter(user=user).delete()[0]
    notifications = Notification.objects.filter(user=user).delete()[0]
    return {"notifications deleted": notifications, "emails deleted": emails}


def push_devices_erase(user: User) -> dict[str, int]:
    return {"push devices deleted": PushSubscription.objects.filter(user=user).delete()[0]}


def register() -> None:
    register_personal_data(
        PersonalData(
            "notifications", "Notifications", "what Chorus told you in the app, read or not.",
            export=notifications_export, position=60,
            count=lambda user: Notification.objects.filter(user=user).count(),
            erase=notifications_erase,
        ),
        PersonalData(
            "emails", "Emails", "the emails Chorus sent you (address, subject, when), not their bodies.",
            export=emails_export, position=65,
            count=lambda user: EmailDelivery.objects.filter(user=user).count(),
        ),
        PersonalData(
            "push_devices", "Push devices", "the browsers and phones you turned push notifications on for.",
            export=push_devices_export, position=66,
            count=lambda user: PushSubscription.objects.filter(user=user).count(),
            erase=push_devices_erase,
        ),
    )
