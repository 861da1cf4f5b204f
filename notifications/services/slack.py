"""Announcing new content in a team's Slack channel through its incoming webhook."""

import logging

import requests
import urllib3
from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from content.models import ContentItem
from core.http import outbound_session
from notifications.models import SlackAnnouncement, TeamSlackWebhook, validate_slack_webhook_url

logger = logging.getLogger(__name__)


class SlackTransientError(Exception):
    """Slack or the network failed in a way that may pass: retry later."""


def _escape(text: str) -> str:
    # Slack's mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(item: ContentItem) -> dict:
    url = f"{settings.SITE_URL}{reverse('share_dialog', args=[item.pk])}"
    title = _escape(item.display_title[:200])
    summary = _escape((item.summary or item.preview_description)[:280])
    text = f"New to share in {settings.SITE_NAME}: <{url}|{title}>"
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*New to share:* <{url}|{title}>"
                                     + (f"\n{summary}" if summary else "")}},
        {"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Share it in your words"}, "url": url},
        ]},
    ]
    return {"text": text, "blocks": blocks, "unfurl_links": False}


def slack_announce(*, webhook: TeamSlackWebhook, item: ContentItem) -> str:
    """Announce ``item`` in the team's channel at most once; returns the announcement's
    status. Raises ``SlackTransientError`` when Slack certainly did not take the message
    (no connection, 429, 5xx): the caller retries and the claim is free again.

    The claim moves the (webhook, item) row from pending to sending in one UPDATE, so of
    two tasks delivered for the same announcement only one posts. A row left *sending* by
    a worker that died stays so: it may have reached Slack, and a second message in a
    team channel is worse than a missing one (the item is in the portal and the emails).
    """
    SlackAnnouncement.objects.get_or_create(webhook=webhook, item=item)
    claimed = SlackAnnouncement.objects.filter(
        webhook=webhook, item=item, status=SlackAnnouncement.Status.PENDING
    ).update(status=SlackAnnouncement.Status.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now())
    if not claimed:
        return SlackAnnouncement.objects.get(webhook=webhook, item=item).status
    try:
        status, error = _post(webhook, item)
    except SlackTransientError as exc:
        _record(webhook, item, SlackAnnouncement.Status.PENDING, str(exc))
        raise
    _record(webhook, item, status, error)
    return status


def _record(webhook: TeamSlackWebhook, item: ContentItem, status: str, error: str) -> None:
    SlackAnnouncement.objects.filter(webhook=webhook, item=item).update(
        status=status, error=error[:500], updated_at=timezone.now()
    )
    if status == SlackAnnouncement.Status.SENT:
        TeamSlackWebhook.objects.filter(pk=webhook.pk).update(last_posted_at=timezone.now(), last_error="")
    elif error:
        TeamSlackWebhook.objects.filter(pk=webhook.pk).update(last_error=error[:500])


def _post(webhook: TeamSlackWebhook, item: ContentItem) -> tuple[str, str]:
    validate_slack_webhook_url(webhook.url)  # stored URLs are checked again before use
    session = outbound_session(timeout=tuple(settings.SLACK_WEBHOOK_TIMEOUT))
    try:
        response = session.post(webhook.url, json=slack_message(item), allow_redirects=False)
    except requests.ConnectTimeout as exc:  # never connected: nothing was sent
        raise SlackTransientError(type(exc).__name__) from exc
    except (requests.ReadTimeout, requests.ConnectionError) as exc:
        if isinstance(exc, requests.ConnectionError) and _before_sending(exc):
            raise SlackTransientError(type(exc).__name__) from exc
        # Connected, and then no answer: the message may be in the channel already.
        logger.warning("slack webhook %s: no answer for item %s (%s)", webhook.pk, item.pk, type(exc).__name__)
        return SlackAnnouncement.Status.UNKNOWN, f"No answer from Slack ({type(exc).__name__}); not repeated."
    except requests.RequestException as exc:
        raise SlackTransientError(type(exc).__name__) from exc
    finally:
        session.close()
    if response.status_code == 429 or response.status_code >= 500:
        raise SlackTransientError(f"HTTP {response.status_code}")
    if response.status_code != 200:
        logger.warning("slack webhook %s refused item %s: %s", webhook.pk, item.pk, response.status_code)
        return SlackAnnouncement.Status.FAILED, f"Slack answered {response.status_code}: {response.text[:200]}"
    return SlackAnnouncement.Status.SENT, ""


def _before_sending(exc: requests.ConnectionError) -> bool:
    """Whether the connection failed before any of the request was sent (refused, no DNS
    answer): only then is a retry sure not to post twice. requests wraps urllib3's
    ``MaxRetryError`` whose ``reason`` says what failed."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)  # incl. NameResolutionError
