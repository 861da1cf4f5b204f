"""Announcing new content in a team's Slack channel through its incoming webhook."""

import logging

import requests
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from advocacy.core.http import outbound_session
from advocacy.notifications.models import TeamSlackWebhook, validate_slack_webhook_url
from content.models import ContentItem

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


def slack_post_item(*, webhook: TeamSlackWebhook, item: ContentItem) -> bool:
    """Post ``item`` to the team's channel; False if Slack refused for good (bad URL,
    archived channel): recorded on the webhook, not retried. Raises
    ``SlackTransientError`` for rate limits, 5xx and network failures."""
    validate_slack_webhook_url(webhook.url)  # stored URLs are checked again before use
    session = outbound_session(timeout=tuple(settings.SLACK_WEBHOOK_TIMEOUT))
    try:
        response = session.post(webhook.url, json=slack_message(item), allow_redirects=False)
    except requests.RequestException as exc:
        raise SlackTransientError(type(exc).__name__) from exc
    finally:
        session.close()
    if response.status_code == 429 or response.status_code >= 500:
        raise SlackTransientError(f"HTTP {response.status_code}")
    now = timezone.now()
    if response.status_code != 200:
        error = f"Slack answered {response.status_code}: {response.text[:200]}"
        TeamSlackWebhook.objects.filter(pk=webhook.pk).update(last_error=error[:500])
        logger.warning("slack webhook %s refused item %s: %s", webhook.pk, item.pk, response.status_code)
        return False
    TeamSlackWebhook.objects.filter(pk=webhook.pk).update(last_posted_at=now, last_error="")
    return True
