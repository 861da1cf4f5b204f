"""Hooks into the content events (connected in ``NotificationsConfig.ready``)."""

from typing import Any

from content.signals import content_published, suggestion_reviewed


def _on_content_published(sender: Any = None, *, item_id: int, **kwargs: Any) -> None:
    from advocacy.notifications.services.fanout import fanout_record

    fanout_record(item_id=item_id)


def _on_suggestion_reviewed(sender: Any = None, *, suggestion_id: int, **kwargs: Any) -> None:
    from advocacy.notifications.services.inapp import suggestion_reviewed_notify

    suggestion_reviewed_notify(suggestion_id=suggestion_id)


def connect() -> None:
    content_published.connect(_on_content_published, dispatch_uid="notifications.fanout")
    suggestion_reviewed.connect(_on_suggestion_reviewed, dispatch_uid="notifications.suggestion_reviewed")
