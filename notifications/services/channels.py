"""Announcing new content in a team's chat channel (Slack, Microsoft Teams) through its
incoming webhook, at most once per channel and item.

Each network is a ``Channel``: its webhook and announcement models, its URL validator,
its message and what counts as accepted. The claim, the POST and the bookkeeping below are
shared, so both networks keep the same guarantee:

The claim moves the (webhook, item) row from pending to sending in one UPDATE, so of two
tasks delivered for the same announcement only one posts. A row left *sending* by a worker
that died stays so: it may have reached the channel, and a second message in a team channel
is worse than a missing one (the item is in the portal and the emails). A failure that
certainly did not deliver (no connection, 429, 5xx) frees the claim and raises
``ChannelTransientError`` for the caller to retry; connected-then-no-answer is recorded
*unknown* and never repeated.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

import requests
import urllib3
from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from content.models import ContentItem
from core.http import outbound_session
from notifications.models import AnnouncementStatus, ChannelAnnouncement, ChannelWebhook

logger = logging.getLogger(__name__)


class ChannelTransientError(Exception):
    """The channel or the network failed in a way that may pass: retry later."""


@dataclass(frozen=True)
class Channel:
    name: str  # shown in errors: "Slack", "Teams"
    task: str  # the Celery task that announces one item in one webhook's channel
    webhook_model: type[ChannelWebhook]
    announcement_model: type[ChannelAnnouncement]
    validate_url: Callable[[str], None]
    message: Callable[[ContentItem], dict]
    timeout_setting: str  # name of the (connect, read) timeout setting
    accepted: Callable[[int], bool]  # whether an HTTP status means the message was taken


def share_url(item: ContentItem) -> str:
    """Where an announcement sends its readers: the item's share dialog in the portal."""
    return f"{settings.SITE_URL}{reverse('share_dialog', args=[item.pk])}"


def channel_announce(channel: Channel, *, webhook: ChannelWebhook, item: ContentItem) -> str:
    """Announce ``item`` in ``webhook``'s channel at most once; returns the announcement's
    status. Raises ``ChannelTransientError`` when the channel certainly did not take the
    message: the caller retries and the claim is free again (see the module docstring)."""
    rows = channel.announcement_model.objects
    rows.get_or_create(webhook=webhook, item=item)
    claimed = rows.filter(webhook=webhook, item=item, status=AnnouncementStatus.PENDING).update(
        status=AnnouncementStatus.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    if not claimed:
        return rows.get(webhook=webhook, item=item).status
    try:
        status, error = _post(channel, webhook, item)
    except ChannelTransientError as exc:
        _record(channel, webhook, item, AnnouncementStatus.PENDING, str(exc))
        raise
    _record(channel, webhook, item, status, error)
    return status


def _record(channel: Channel, webhook: ChannelWebhook, item: ContentItem, status: str, error: str) -> None:
    channel.announcement_model.objects.filter(webhook=webhook, item=item).update(
        status=status, error=error[:500], updated_at=timezone.now()
    )
    webhooks = channel.webhook_model.objects.filter(pk=webhook.pk)
    if status == AnnouncementStatus.SENT:
        webhooks.update(last_posted_at=timezone.now(), last_error="")
    elif error:
        webhooks.update(last_error=error[:500])


def _post(channel: Channel, webhook: ChannelWebhook, item: ContentItem) -> tuple[str, str]:
    channel.validate_url(webhook.url)  # stored URLs are checked again before use
    session = outbound_session(timeout=tuple(getattr(settings, channel.timeout_setting)))
    try:
        response = session.post(webhook.url, json=channel.message(item), allow_redirects=False)
    except requests.ConnectTimeout as exc:  # never connected: nothing was sent
        raise ChannelTransientError(type(exc).__name__) from exc
    except (requests.ReadTimeout, requests.ConnectionError) as exc:
        if isinstance(exc, requests.ConnectionError) and _before_sending(exc):
            raise ChannelTransientError(type(exc).__name__) from exc
        # Connected, and then no answer: the message may be in the channel already.
        logger.warning("%s webhook %s: no answer for item %s (%s)", channel.name, webhook.pk, item.pk,
                       type(exc).__name__)
        return AnnouncementStatus.UNKNOWN, f"No answer from {channel.name} ({type(exc).__name__}); not repeated."
    except requests.RequestException as exc:
        raise ChannelTransientError(type(exc).__name__) from exc
    finally:
        session.close()
    if response.status_code == 429 or response.status_code >= 500:
        raise ChannelTransientError(f"HTTP {response.status_code}")
    if not channel.accepted(response.status_code):
        logger.warning("%s webhook %s refused item %s: %s", channel.name, webhook.pk, item.pk, response.status_code)
        return AnnouncementStatus.FAILED, f"{channel.name} answered {response.status_code}: {response.text[:200]}"
    return AnnouncementStatus.SENT, ""


def _before_sending(exc: requests.ConnectionError) -> bool:
    """Whether the connection failed before any of the request was sent (refused, no DNS
    answer): only then is a retry sure not to post twice. requests wraps urllib3's
    ``MaxRetryError`` whose ``reason`` says what failed."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)  # incl. NameResolutionError
