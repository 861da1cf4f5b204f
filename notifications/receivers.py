"""What notifications does when other layers announce something (connected in
``NotificationsConfig.ready``). Each receiver only translates the event into a service call."""

from typing import Any

from django.contrib.auth.signals import user_logged_out

from advocacy import signals as advocacy_signals
from content.signals import content_published, suggestion_reviewed
from notifications.services import inapp
from notifications.services.fanout import fanout_record
from notifications.services.push import SESSION_ENDPOINT_KEY, subscription_delete


def _on_content_published(sender: Any = None, *, item_id: int, **kwargs: Any) -> None:
    fanout_record(item_id=item_id)


def _on_suggestion_reviewed(sender: Any = None, *, suggestion_id: int, **kwargs: Any) -> None:
    inapp.suggestion_reviewed_notify(suggestion_id=suggestion_id)


def _on_share_failed(sender: Any = None, *, share: Any, reason: str, **kwargs: Any) -> None:
    inapp.share_failed_notify(share=share, reason=reason)


def _on_share_unconfirmed(sender: Any = None, *, share: Any, **kwargs: Any) -> None:
    inapp.share_unconfirmed_notify(share=share)


def _on_account_needs_reconnect(sender: Any = None, *, account: Any, reason: str, expired: bool = False,
                                **kwargs: Any) -> None:
    inapp.reconnect_notify(account=account, reason=reason, expired=expired)


def _on_account_expiring(sender: Any = None, *, account: Any, days_left: int, threshold: str,
                         **kwargs: Any) -> bool:
    return inapp.expiring_notify(account=account, days_left=days_left, threshold=threshold) is not None


def _on_logged_out(sender: Any = None, *, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    """Logging out stops push on this browser: the next person to use it must not get the
    notifications of the one who left (the service worker also unsubscribes the browser)."""
    endpoint = getattr(request, "session", {}).get(SESSION_ENDPOINT_KEY) if request is not None else None
    if endpoint and user is not None:
        subscription_delete(user=user, endpoint=endpoint)


def connect() -> None:
    user_logged_out.connect(_on_logged_out, dispatch_uid="notifications.push_logged_out")
    content_published.connect(_on_content_published, dispatch_uid="notifications.fanout")
    suggestion_reviewed.connect(_on_suggestion_reviewed, dispatch_uid="notifications.suggestion_reviewed")
    advocacy_signals.share_failed.connect(_on_share_failed, dispatch_uid="notifications.share_failed")
    advocacy_signals.share_unconfirmed.connect(_on_share_unconfirmed, dispatch_uid="notifications.share_unconfirmed")
    advocacy_signals.account_needs_reconnect.connect(
        _on_account_needs_reconnect, dispatch_uid="notifications.account_needs_reconnect"
    )
    advocacy_signals.account_expiring.connect(_on_account_expiring, dispatch_uid="notifications.account_expiring")
