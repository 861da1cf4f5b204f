"""Recording events: one ``WebhookEvent`` (the exact body) and one pending delivery per
subscribed endpoint, in one transaction; each delivery's task is sent when it commits.

Receivers (``webhooks.receivers``) call the ``*_emit`` functions when a lower layer
announces something. When that signal comes inside the transaction that wrote the
happening (a share confirmed by its employee), the event commits or rolls back with it;
when it comes right after the commit (publishing, an accepted invitation) a crash in
between could miss it, so ``events_catch_up`` (beat) records what the last hour's rows
say happened and has no event yet. ``dedupe_key`` makes both paths, and a signal sent
twice, record one event.

An endpoint receives the events that happened after it was created (so a catch-up never
sends a new endpoint last hour's news), and only the types it subscribes to. With no
such endpoint nothing is recorded.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from advocacy.models import Share, ShareStatus
from content.models import ContentItem
from content.models.items import ContentStatus
from core.queueing import enqueue
from notifications.models import DeliveryStatus as EmailStatus
from notifications.models import EmailDelivery
from webhooks import payloads
from webhooks.models import DeliveryStatus, EventType, WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.services.deliveries import DELIVER_TASK

logger = logging.getLogger(__name__)

# The catch-up leaves the newest rows to the signal that is about to record them.
CATCH_UP_DELAY = timedelta(minutes=1)
PURGE_BATCH = 1000

T = TypeVar("T")


@dataclass(frozen=True)
class NewEvent:
    data: dict[str, Any]
    occurred_at: datetime
    dedupe_key: str = ""


def subscribers(event_type: str) -> list[WebhookEndpoint]:
    """Active endpoints that subscribe to ``event_type`` (one query: there are few)."""
    return [endpoint for endpoint in WebhookEndpoint.objects.filter(is_active=True)
            if endpoint.subscribes_to(event_type)]


def events_record(*, event_type: str, entries: Iterable[NewEvent],
                  endpoints: list[WebhookEndpoint] | None = None) -> list[WebhookEvent]:
    """Record ``entries`` of ``event_type`` with one pending delivery per endpoint (the
    subscribers, or ``endpoints``) created before the entry happened, in one transaction;
    returns the events recorded. A constant number of queries, however many entries.
    Entries whose ``dedupe_key`` is already recorded are skipped; a concurrent recorder
    of the same key makes this look again rather than fail."""
    candidates = subscribers(event_type) if endpoints is None else endpoints
    if not candidates:
        return []
    unique: dict[str, NewEvent] = {}
    for entry in entries:
        unique.setdefault(entry.dedupe_key or f"#{len(unique)}", entry)
    for _ in range(2):
        keys = [e.dedupe_key for e in unique.values() if e.dedupe_key]
        known = set(WebhookEvent.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
        planned = []
        for entry in unique.values():
            if entry.dedupe_key in known:
                continue
            targets = [endpoint for endpoint in candidates if endpoint.created_at <= entry.occurred_at]
            if targets:
                planned.append((entry, targets))
        if not planned:
            return []
        try:
            events, deliveries = _insert(event_type, planned)
        except IntegrityError:
            continue  # another process recorded one of these keys meanwhile: look again
        for delivery in deliveries:
            enqueue(DELIVER_TASK, delivery.pk)
        return events
    return []


def _insert(event_type: str, planned: list[tuple[NewEvent, list[WebhookEndpoint]]]
            ) -> tuple[list[WebhookEvent], list[WebhookDelivery]]:
    now = timezone.now()
    with transaction.atomic():
        events = WebhookEvent.objects.bulk_create([
            WebhookEvent(type=event_type, dedupe_key=entry.dedupe_key, created_at=now, body=payloads.build_body(
                event_type=event_type, occurred_at=entry.occurred_at, data=entry.data))
            for entry, _ in planned
        ])
        deliveries = WebhookDelivery.objects.bulk_create([
            WebhookDelivery(endpoint=endpoint, event=event, next_attempt_at=now, created_at=now)
            for event, (_, targets) in zip(events, planned, strict=True) for endpoint in targets
        ])
    return events, deliveries


def emit_safely(emit: Callable[..., Any], **kwargs: Any) -> None:
    """Run an ``*_emit`` for a receiver: the action that happened never fails because its
    webhook could not be recorded (the savepoint rolls back only our part)."""
    try:
        with transaction.atomic():  # inside the caller's transaction: a savepoint of ours
            emit(**kwargs)
    except Exception:
        logger.exception("webhook event %s not recorded", getattr(emit, "__name__", emit))


# --- one function per event type ------------------------------------------------------------


def content_key(item_id: int) -> str:
    return f"content.published:{item_id}"


def content_published_emit(*, item_id: int) -> None:
    item = ContentItem.objects.select_related("campaign").filter(pk=item_id).first()
    if item is None or item.status != ContentStatus.PUBLISHED:
        return
    events_record(event_type=EventType.CONTENT_PUBLISHED, entries=[_content_event(item)])


def _content_event(item: ContentItem) -> NewEvent:
    return NewEvent(payloads.content_published(item), item.published_at or timezone.now(), content_key(item.pk))


def share_key(share: Share) -> str:
    return f"share.posted:{share.pk}:{share.remote_id}"[:120]


def share_posted_emit(*, share: Share, how: str | None) -> None:
    events_record(event_type=EventType.SHARE_POSTED, entries=[_share_event(share, how)])


def _share_event(share: Share, how: str | None) -> NewEvent:
    return NewEvent(payloads.share_posted(share, how=how), share.posted_at or timezone.now(), share_key(share))


def share_failed_emit(*, share: Share, reason: str) -> None:
    events_record(event_type=EventType.SHARE_FAILED,
                  entries=[NewEvent(payloads.share_failed(share, reason=reason), timezone.now())])


def clicks_recorded_emit(*, counts: dict[int, dict[str, int]], first_at: datetime, last_at: datetime) -> None:
    if not subscribers(EventType.CLICKS_RECORDED):
        return
    shares = Share.objects.only("pk", "item_id", "network").in_bulk(list(counts))
    data = payloads.clicks_recorded(counts, shares, first_at=first_at, last_at=last_at)
    if data["shares"]:
        events_record(event_type=EventType.CLICKS_RECORDED, entries=[NewEvent(data, timezone.now())])


def digest_sent_emit(*, delivery_ids: list[int]) -> None:
    if not subscribers(EventType.DIGEST_SENT):
        return
    deliveries = EmailDelivery.objects.filter(
        pk__in=delivery_ids, kind__in=list(payloads.DIGEST_KINDS), status=EmailStatus.SENT
    ).select_related("user").order_by("pk")
    events_record(event_type=EventType.DIGEST_SENT, entries=[
        NewEvent(payloads.digest_sent(d), d.sent_at or timezone.now(), f"digest.sent:{d.pk}") for d in deliveries
    ])


def person_key(user_id: int) -> str:
    return f"person.joined:{user_id}"


def person_joined_emit(*, user: User, how: str) -> None:
    events_record(event_type=EventType.PERSON_JOINED, entries=[_person_event(user, how)])


def _person_event(user: User, how: str) -> NewEvent:
    joined = user.invitation_accepted_at if how == "invitation" else None
    return NewEvent(payloads.person_joined(user, how=how), joined or timezone.now(), person_key(user.pk))


def test_event_send(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """The admin's "Send test event": a ``webhook.test`` event to this endpoint only (sent
    even while it is disabled, to check a fix before turning it back on)."""
    [event] = events_record(event_type=EventType.TEST, endpoints=[endpoint],
                            entries=[NewEvent(payloads.test_event(endpoint.pk), timezone.now())])
    return event.deliveries.get()


# --- beat ---------------------------------------------------------------------------------


def events_catch_up(*, now: datetime | None = None) -> int:
    """Record the events of the last ``WEBHOOKS_CATCH_UP_MINUTES`` whose signal was missed
    (the process stopped between the commit and the receiver). Returns how many."""
    now = now or timezone.now()
    since, until = now - timedelta(minutes=settings.WEBHOOKS_CATCH_UP_MINUTES), now - CATCH_UP_DELAY
    recorded = _catch_up(
        EventType.CONTENT_PUBLISHED, content_key, _content_event,
        ContentItem.objects.filter(status=ContentStatus.PUBLISHED, published_at__range=(since, until))
        .select_related("campaign"),
    )
    recorded += _catch_up(
        EventType.SHARE_POSTED, share_key, lambda share: _share_event(share, None),
        Share.objects.filter(status=ShareStatus.POSTED, updated_at__range=(since, until)).select_related("user", "item"),
    )
    recorded += _catch_up(
        EventType.PERSON_JOINED, lambda user: person_key(user.pk), lambda user: _person_event(user, "invitation"),
        User.objects.filter(invitation_accepted_at__range=(since, until)),
    )
    return recorded


def _catch_up(event_type: str, key: Callable[[T], str], build: Callable[[T], NewEvent], rows: Iterable[T]) -> int:
    if not subscribers(event_type):
        return 0
    by_key = {key(row): row for row in rows}
    known = set(WebhookEvent.objects.filter(dedupe_key__in=list(by_key)).values_list("dedupe_key", flat=True))
    missing = [build(row) for k, row in by_key.items() if k not in known]
    if missing:
        logger.warning("recording %d missed %s webhook event(s)", len(missing), event_type)
    return len(events_record(event_type=event_type, entries=missing))


def events_purge(*, now: datetime | None = None) -> int:
    """Delete events (with their deliveries and attempts) older than
    ``WEBHOOKS_RETENTION_DAYS`` whose deliveries are all finished; a batch per run."""
    if not settings.WEBHOOKS_RETENTION_DAYS:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOKS_RETENTION_DAYS)
    ids = list(
        WebhookEvent.objects.filter(created_at__lt=cutoff)
        .exclude(deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING])
        .values_list("pk", flat=True)[:PURGE_BATCH]
    )
    WebhookEvent.objects.filter(pk__in=ids).delete()
    return len(ids)
