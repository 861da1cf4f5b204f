"""Telling advocates about a newly published item.

``content_published`` → ``fanout_record`` (a row, then a task) → ``fanout_plan`` (one query
for the recipients, one task per ``NOTIFY_FANOUT_CHUNK_SIZE`` of them, Slack and Teams per team) →
``fanout_chunk`` (bulk in-app notifications, bulk email claims, one mail connection).
Nothing here runs a query per recipient.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from accounts.models import NotificationPreference, User
from content.models import ContentItem
from core.queueing import enqueue, send
from notifications.emails import EmailTemplate, absolute, share_link_url, unsubscribe_url
from notifications.models import ContentFanout, DeliveryKind, EmailDelivery, Notification
from notifications.services.channels import Channel
from notifications.services.deliveries import (
    Outgoing,
    chunked,
    deliveries_claim,
    deliveries_send_later,
    register_renderer,
)
from notifications.services.push import new_content_push_enqueue
from notifications.services.slack import SLACK
from notifications.services.teams import TEAMS
from notifications.targeting import (
    INSTANT_PREFERENCES,
    ItemTargeting,
    enrolled_users,
    targeted_users,
)

logger = logging.getLogger(__name__)

# The chat networks new content is announced in, each through its team webhooks.
CHANNELS: tuple[Channel, ...] = (SLACK, TEAMS)


def new_content_period(item_id: int) -> str:
    return f"item-{item_id}"


def fanout_record(*, item_id: int) -> None:
    """Remember that ``item_id`` must be announced, then ask a worker to do it.

    Called after the publishing transaction committed. If the broker is down the row stays
    pending and the beat sweep (``fanout_sweep``) dispatches it.
    """
    ContentFanout.objects.get_or_create(item_id=item_id)
    enqueue("notify.fanout_plan", item_id)


def fanout_plan(*, item_id: int) -> int:
    """Split the item's recipients into chunk tasks; returns the number of chunks.

    Only the run that moves the row from *pending* to *dispatched* plans, so a sweep racing
    the original task cannot announce an item twice. If enqueueing fails the row goes back
    to pending (the chunks already sent are idempotent).
    """
    now = timezone.now()
    if not ContentFanout.objects.filter(item_id=item_id, status=ContentFanout.Status.PENDING).update(
        status=ContentFanout.Status.DISPATCHED, dispatched_at=now
    ):
        return 0
    item = ContentItem.objects.filter(pk=item_id).first()
    if item is None or not item.is_live:
        return 0
    targeting = ItemTargeting.load(item)
    recipient_ids = list(
        targeted_users(item, targeting)
        .filter(notification_preference__in=INSTANT_PREFERENCES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chunks = list(chunked(recipient_ids, settings.NOTIFY_FANOUT_CHUNK_SIZE))
    try:
        for chunk in chunks:
            send("notify.fanout_chunk", item_id, chunk)
        for channel in CHANNELS:
            for webhook_id in channel_webhooks_for(channel, item, targeting):
                send(channel.task, webhook_id, item_id)
    except Exception:
        ContentFanout.objects.filter(item_id=item_id).update(status=ContentFanout.Status.PENDING)
        raise
    ContentFanout.objects.filter(item_id=item_id).update(recipients=len(recipient_ids), chunks=len(chunks))
    return len(chunks)


def channel_webhooks_for(channel: Channel, item: ContentItem, targeting: ItemTargeting) -> list[int]:
    """Active team webhooks of ``channel`` (Slack, Teams) whose team has at least one
    advocate the item reaches."""
    reached = targeted_users(item, targeting).filter(team_id=OuterRef("team_id"))
    webhooks = channel.webhook_model.objects.filter(is_active=True).filter(Exists(reached))
    return list(webhooks.values_list("pk", flat=True))


def fanout_sweep(*, older_than_seconds: int = 60) -> list[int]:
    """Items whose fan-out was recorded but never planned (broker down at publish time)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        ContentFanout.objects.filter(status=ContentFanout.Status.PENDING, created_at__lt=cutoff)
        .order_by("pk")
        .values_list("item_id", flat=True)[:100]
    )


def fanout_chunk(*, item_id: int, user_ids: list[int], claim_token: str) -> int:
    """In-app notifications and instant-email claims for one chunk; returns how many were told.

    The emails are sent by a ``notify.send_claimed`` task of their own, so everyone sees the
    notification at once whatever the mail server's pace. Safe to run twice: notifications
    are unique per (user, ``new:<item>``) and emails per (user, new_content, ``item-<id>``),
    both inserted with ON CONFLICT DO NOTHING; only rows carrying ``claim_token`` (a
    re-delivered task keeps its id) are sent.
    """
    item = ContentItem.objects.filter(pk=item_id).first()
    if item is None or not item.is_live:
        return 0
    users = list(
        enrolled_users()
        .filter(pk__in=user_ids, notification_preference__in=INSTANT_PREFERENCES)
        .only("pk", "email", "notification_preference")
    )
    url = reverse("share_dialog", args=[item.pk])
    title = Truncator(f"New to share: {item.display_title}").chars(200)
    body = Truncator(item.summary or item.preview_description).chars(280)
    Notification.objects.bulk_create(
        [
            Notification(user_id=u.pk, kind=Notification.Kind.NEW_CONTENT, title=title, body=body, url=url,
                         item_id=item.pk, dedupe_key=f"new:{item.pk}")
            for u in users
        ],
        ignore_conflicts=True,
    )
    emailed = {u.pk: u.email for u in users if u.notification_preference == NotificationPreference.INSTANT_EMAIL}
    deliveries_claim(
        kind=DeliveryKind.NEW_CONTENT, period=new_content_period(item.pk), recipients=emailed,
        claim_token=claim_token, item_id=item.pk,
    )
    if emailed:
        deliveries_send_later(claim_token=claim_token)
    new_content_push_enqueue(item_id=item.pk, user_ids=[u.pk for u in users])
    return len(users)


def new_content_template(item: ContentItem) -> EmailTemplate:
    """The new-content email for ``item``, with slots for the per-person values."""
    return EmailTemplate(
        "new_content",
        {
            "item": item,
            "image_url": absolute(item.display_image_url),
            "summary": item.summary or item.preview_description,
            "preheader": Truncator(item.summary or item.preview_description or item.display_title).chars(110),
        },
        subject=Truncator(f"New to share: {item.display_title}").chars(150),
        slots=("first_name", "share_url", "unsubscribe_url"),
    )


def render_new_content(deliveries: list[EmailDelivery]) -> dict[int, Outgoing]:
    """One render per item, then per-person values: a name and two signed links."""
    items = ContentItem.objects.in_bulk({d.item_id for d in deliveries if d.item_id})
    templates: dict[int, EmailTemplate] = {}
    out: dict[int, Outgoing] = {}
    for delivery in deliveries:
        item = items.get(delivery.item_id)
        if item is None or not item.is_live:
            out[delivery.pk] = Outgoing()  # withdrawn meanwhile: nothing to announce
            continue
        if item.pk not in templates:
            templates[item.pk] = new_content_template(item)
        out[delivery.pk] = Outgoing(
            email=templates[item.pk].personalise(personal_values(delivery.user, item.pk, delivery.pk)),
        )
    return out


def personal_values(user: User, item_id: int, delivery_id: int | None) -> dict[str, str]:
    return {
        "first_name": user.get_short_name(),
        "share_url": share_link_url(user_id=user.pk, item_id=item_id),
        "unsubscribe_url": unsubscribe_url(delivery_id) if delivery_id else "#preview",
    }


register_renderer(DeliveryKind.NEW_CONTENT, render_new_content)
