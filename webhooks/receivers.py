"""What the webhooks app does when other layers announce something (connected in
``WebhooksConfig.ready``). Each receiver only hands the event to its ``*_emit`` service,
through ``emit_safely``: the action that happened never fails because of a webhook."""

from typing import Any

from accounts.signals import person_joined
from advocacy.signals import share_failed, share_posted
from analytics.events import clicks_recorded
from content.signals import content_published
from notifications.signals import digest_sent
from webhooks import selectors
from webhooks.services import events


def _on_content_published(sender: Any = None, *, item_id: int, **kwargs: Any) -> None:
    events.emit_safely(events.content_published_emit, item_id=item_id)


def _on_share_posted(sender: Any = None, *, share: Any, how: str = "", **kwargs: Any) -> None:
    if not selectors.share_posted_wanted():  # every posted share asks: answered per process for seconds
        return
    events.emit_safely(events.share_posted_emit, share=share, how=how or None)


def _on_share_failed(sender: Any = None, *, share: Any, reason: str, **kwargs: Any) -> None:
    events.emit_safely(events.share_failed_emit, share=share, reason=reason)


def _on_clicks_recorded(sender: Any = None, *, counts: dict, first_at: Any, last_at: Any, **kwargs: Any) -> None:
    events.emit_safely(events.clicks_recorded_emit, counts=counts, first_at=first_at, last_at=last_at)


def _on_digest_sent(sender: Any = None, *, delivery_ids: list[int], **kwargs: Any) -> None:
    events.emit_safely(events.digest_sent_emit, delivery_ids=delivery_ids)


def _on_person_joined(sender: Any = None, *, user: Any, how: str, **kwargs: Any) -> None:
    events.emit_safely(events.person_joined_emit, user=user, how=how)


def connect() -> None:
    content_published.connect(_on_content_published, dispatch_uid="webhooks.content_published")
    share_posted.connect(_on_share_posted, dispatch_uid="webhooks.share_posted")
    share_failed.connect(_on_share_failed, dispatch_uid="webhooks.share_failed")
    clicks_recorded.connect(_on_clicks_recorded, dispatch_uid="webhooks.clicks_recorded")
    digest_sent.connect(_on_digest_sent, dispatch_uid="webhooks.digest_sent")
    person_joined.connect(_on_person_joined, dispatch_uid="webhooks.person_joined")
    selectors.connect()
