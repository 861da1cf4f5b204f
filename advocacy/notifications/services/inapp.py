"""The notification centre: reading, marking read, and the events that add to it."""

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import NotificationPreference, User
from advocacy.models import Notification
from advocacy.notifications.emails import RenderedEmail, absolute, render_email, unsubscribe_url
from advocacy.notifications.models import DeliveryKind, EmailDelivery
from advocacy.notifications.services.deliveries import Outgoing, delivery_send_now, register_renderer
from content.models import ContentSuggestion, SuggestionStatus

# Preferences that mean "no email from Chorus" (one-click unsubscribe sets IN_APP).
NO_EMAIL_PREFERENCES = frozenset({NotificationPreference.IN_APP, NotificationPreference.NONE})


def notifications_for_user(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def notification_for_user(user: User, notification_id: int) -> Notification | None:
    return notifications_for_user(user).filter(pk=notification_id).first()


def unread_count(user: User) -> int:
    """One indexed COUNT (``user, read_at``): cheap enough for every page's nav badge."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_mark_read(*, user: User, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, user=user, read_at__isnull=True).update(
            read_at=notification.read_at
        )


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def wants_email(user: User) -> bool:
    return bool(user.is_active and user.email) and user.notification_preference not in NO_EMAIL_PREFERENCES


def alert_email_send(*, notification: Notification) -> EmailDelivery | None:
    """Email an in-app notification (reconnect, expiring connection) to its user, once."""
    if not wants_email(notification.user):
        return None
    return delivery_send_now(
        user=notification.user, kind=DeliveryKind.ALERT, period=f"n-{notification.pk}",
        notification_id=notification.pk,
    )


_ACTION_LABELS = {
    Notification.Kind.RECONNECT: "Reconnect",
    Notification.Kind.EXPIRING: "Reconnect now",
    Notification.Kind.SHARE_FAILED: "See my shares",
    Notification.Kind.SHARE_UNCONFIRMED: "Check my shares",
    Notification.Kind.NEW_CONTENT: "Share now",
}


def render_alert(notification: Notification, *, unsubscribe: str) -> RenderedEmail:
    return render_email(
        "alert",
        {
            "notification": notification,
            "first_name": notification.user.get_short_name(),
            "action_url": absolute(notification.url) or absolute(reverse("notifications")),
            "action_label": _ACTION_LABELS.get(notification.kind, f"Open {settings.SITE_NAME}"),
            "unsubscribe_url": unsubscribe,
            "preheader": notification.body[:110],
        },
        subject=notification.title,
    )


def render_alerts(deliveries: list[EmailDelivery]) -> dict[int, Outgoing]:
    notes = Notification.objects.in_bulk({d.notification_id for d in deliveries if d.notification_id})
    out = {}
    for delivery in deliveries:
        note = notes.get(delivery.notification_id)
        if note is None:
            out[delivery.pk] = Outgoing(error="notification deleted", permanent=True)
            continue
        note.user = delivery.user
        out[delivery.pk] = Outgoing(email=render_alert(note, unsubscribe=unsubscribe_url(delivery.pk)))
    return out


register_renderer(DeliveryKind.ALERT, render_alerts)


def suggestion_reviewed_notify(*, suggestion_id: int) -> Notification | None:
    """Tell the employee what happened to the link they suggested (in the app only)."""
    from advocacy.services.notifications import notify

    suggestion = ContentSuggestion.objects.filter(pk=suggestion_id).select_related("suggested_by", "item").first()
    if suggestion is None or suggestion.status == SuggestionStatus.PENDING:
        return None
    accepted = suggestion.status == SuggestionStatus.ACCEPTED
    what = (suggestion.item.display_title if suggestion.item else "") or suggestion.url
    body = f"“{what[:150]}”"
    if suggestion.response:
        body += f" — {suggestion.response}"
    elif accepted:
        body += " — marketing will prepare it for everyone to share."
    return notify(
        user=suggestion.suggested_by,
        kind=Notification.Kind.SUGGESTION,
        title="Your suggestion was accepted" if accepted else "Your suggestion wasn't taken up this time",
        body=body,
        url=reverse("suggest"),
        dedupe_key=f"suggestion:{suggestion.pk}",
    )
