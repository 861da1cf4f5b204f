"""The notification centre: ``notify()``, reading, marking read, and the events that add to it."""

import logging
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.localtime import local_time
from accounts.models import NotificationPreference, User
from advocacy.models import Share, SocialAccount
from content.models import ContentSuggestion, SuggestionStatus
from notifications.emails import RenderedEmail, absolute, render_email, unsubscribe_url
from notifications.models import DeliveryKind, EmailDelivery, Notification
from notifications.services.deliveries import Outgoing, delivery_send_now, register_renderer
from notifications.services.push import push_enqueue

logger = logging.getLogger(__name__)

# Preferences that mean "no email from Chorus" (one-click unsubscribe sets IN_APP).
NO_EMAIL_PREFERENCES = frozenset({NotificationPreference.IN_APP, NotificationPreference.NONE})


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
    push: bool = False,
) -> Notification | None:
    """Create an in-app notification (once per ``dedupe_key``), optionally emailing it too.

    The email (HTML + text, logged as an ``EmailDelivery`` and retried if the mail server
    fails) goes only to people who accept email: "in-app only", "none" and one-click
    unsubscribes get the notification in the app alone. ``push``: also Web Push it to the
    person's devices that have push turned on (``notifications.services.push``).
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
        try:
            alert_email_send(notification=notification)
        except Exception:
            logger.exception("could not email notification %s", notification.pk)
    if push:
        push_enqueue([notification.pk])
    return notification


def notifications_for_user(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def notification_for_user(user: User, notification_id: int) -> Notification | None:
    return notifications_for_user(user).filter(pk=notification_id).first()


def unread_count(user: User) -> int:
    """One indexed COUNT (``user, read_at``): cheap enough for every page's nav badge.

    It runs on every portal page, so it is plain SQL made once per process: the ORM's
    ``filter().count()`` spends ~4x the database's time building the same statement."""
    with connection.cursor() as cursor:
        cursor.execute(_unread_count_sql(), [user.pk])
        return cursor.fetchone()[0]


# Its name among the counts that ride along with the portal feed's query (see register_unread_extra).
UNREAD_EXTRA = "unread_notifications"


def register_unread_extra() -> None:
    """Let the portal feed read the unread count in its own query (``advocacy.selectors.
    PERSON_EXTRAS``): the page then makes no COUNT of its own for the badge."""
    from advocacy.selectors import PERSON_EXTRAS

    PERSON_EXTRAS[UNREAD_EXTRA] = _unread_count_sql()


@lru_cache(maxsize=1)
def _unread_count_sql() -> str:
    # The same statement as Notification.objects.filter(user=…, read_at__isnull=True).count().
    # Only the model's quoted names go in; the user is a parameter.
    meta, quote = Notification._meta, connection.ops.quote_name
    return (f"SELECT COUNT(*) FROM {quote(meta.db_table)} "  # noqa: S608
            f"WHERE {quote(meta.get_field('user').column)} = %s AND {quote(meta.get_field('read_at').column)} IS NULL")


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


def share_failed_notify(*, share: Share, reason: str) -> Notification | None:
    return notify(
        user=share.user, kind=Notification.Kind.SHARE_FAILED,
        title=f"Your {share.get_network_display()} share didn't go out",
        body=f"“{share.item.title}”: {reason}", url=reverse("my_shares"), item_id=share.item_id,
    )


def share_unconfirmed_notify(*, share: Share) -> Notification | None:
    return notify(
        user=share.user, kind=Notification.Kind.SHARE_UNCONFIRMED,
        title=f"Please check your {share.get_network_display()} profile",
        body=f"We couldn't confirm whether “{share.item.title}” was posted. Tell us if you see it.",
        url=reverse("my_shares"), item_id=share.item_id,
    )


# Why a connection without a refresh token runs out, per network, in the employee's words.
_LIFETIME_WHY = {"linkedin": "LinkedIn connections last 60 days."}
_NO_RENEW_WHY = {"x": "because posting access wasn't granted to stay signed in"}


def _time_left(left: timedelta) -> str:
    """"3 days", "2 hours", "40 minutes": the real time left, in the largest sensible unit."""
    seconds = max(0, int(left.total_seconds()))
    if seconds >= 86400:
        n, unit = round(seconds / 86400), "day"
    elif seconds >= 3600:
        n, unit = round(seconds / 3600), "hour"
    else:
        n, unit = max(1, round(seconds / 60)), "minute"
    return f"{n} {unit}{'s' if n != 1 else ''}"


def reconnect_notify(*, account: SocialAccount, reason: str, expired: bool = False) -> Notification | None:
    """The connection is dead: in the app and by email, with a one-click reconnect link.
    ``expired``: it simply ran out, having no way to renew itself."""
    name = account.get_network_display()
    why = _NO_RENEW_WHY.get(account.network)
    if expired and why:
        # It lapsed because it could never renew itself: say how to avoid it next time.
        body = (f"Your {name} connection expired: it couldn't renew itself {why}. Reconnect in one click "
                "and allow Chorus to stay signed in to keep sharing.")
    elif expired:
        lifetime = _LIFETIME_WHY.get(account.network, "")
        body = f"Your {name} connection expired.{f' {lifetime}' if lifetime else ''} Reconnect it in one click " \
               "to keep sharing."
    else:
        said = reason.strip() or "it was refused"
        body = (f"{name} no longer accepts Chorus's connection: {said}{'' if said.endswith('.') else '.'} "
                "Reconnect it in one click to keep sharing.")
    return notify(
        user=account.user,
        kind=Notification.Kind.RECONNECT,
        title=f"Reconnect your {name} account",
        body=body,
        url=reverse("connect", args=[account.network]),
        email=True,
        push=True,
    )


def expiring_notify(*, account: SocialAccount, days_left: int, threshold: str) -> Notification | None:
    """A connection without a refresh token expires soon: warn once per threshold, with
    its real expiry and words that fit the network.

    ``threshold`` "7d"/"1d" is LinkedIn's ladder before a 60-day token ends (in the app
    and by email). "once" is a connection that lives hours from the start (X without
    ``offline.access``): one warning, in the app only, given while the employee is still
    connecting; the reconnect notice when it lapses is emailed."""
    name = account.get_network_display()
    left = account.expires_at - timezone.now()
    until = local_time(account.expires_at, account.user)
    title = f"Your {name} connection expires in {_time_left(left)}"
    if threshold == "once":
        why = _NO_RENEW_WHY.get(account.network)
        body = (
            f"Your {name} connection can't renew itself{f' {why}' if why else ''}. It works until {until}; "
            f"after that, reconnect in one click{' and allow Chorus to stay signed in' if why else ''} "
            "to keep sharing."
        )
        key = f"expiring:{account.pk}:{account.expires_at:%Y%m%d%H%M}:once"
    else:
        lifetime = _LIFETIME_WHY.get(account.network, f"Your {name} connection can't renew itself.")
        body = f"{lifetime} It works until {until}. Reconnect now (one click) so your shares keep working."
        key = f"expiring:{account.pk}:{account.expires_at:%Y%m%d}:{threshold}"
    return notify(
        user=account.user,
        kind=Notification.Kind.EXPIRING,
        title=title,
        body=body,
        url=reverse("connect", args=[account.network]),
        dedupe_key=key,
        email=threshold != "once",
        push=threshold != "once",  # "once" is given while the employee is connecting, in the app
    )
