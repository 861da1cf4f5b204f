"""Announcing new content in a team's Slack channel through its incoming webhook (the
claim and delivery are shared with Teams: ``notifications.services.channels``)."""

from django.conf import settings

from content.models import ContentItem
from notifications.models import SlackAnnouncement, TeamSlackWebhook, validate_slack_webhook_url
from notifications.services.channels import Channel, ChannelTransientError, channel_announce, share_url

# Kept for callers that catch Slack's failures by this name.
SlackTransientError = ChannelTransientError


def _escape(text: str) -> str:
    # Slack's mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(item: ContentItem) -> dict:
    url = share_url(item)
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


SLACK = Channel(
    name="Slack", task="notify.slack_post", webhook_model=TeamSlackWebhook, announcement_model=SlackAnnouncement,
    validate_url=validate_slack_webhook_url, message=slack_message, timeout_setting="SLACK_WEBHOOK_TIMEOUT",
    accepted=lambda status: status == 200,  # Slack answers "ok" with 200, anything else is a refusal
)


def slack_announce(*, webhook: TeamSlackWebhook, item: ContentItem) -> str:
    """Announce ``item`` in the team's Slack channel at most once; returns the status
    (see ``channels.channel_announce``)."""
    return channel_announce(SLACK, webhook=webhook, item=item)
