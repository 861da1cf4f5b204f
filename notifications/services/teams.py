"""Announcing new content in a team's Microsoft Teams channel through a Workflows webhook
("Post to a channel when a webhook request is received"): a message carrying one Adaptive
Card. The claim and delivery are shared with Slack (``notifications.services.channels``),
so the same at-most-once guarantee holds."""

from django.conf import settings

from content.models import ContentItem
from notifications.models import TeamsAnnouncement, TeamsWebhook, validate_teams_webhook_url
from notifications.services.channels import Channel, channel_announce, share_url

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
# Workflows renders Adaptive Cards up to this schema version in channels.
CARD_VERSION = "1.4"


def teams_message(item: ContentItem) -> dict:
    url = share_url(item)
    summary = (item.summary or item.preview_description)[:280]
    body: list[dict] = [
        {"type": "TextBlock", "text": f"New to share in {settings.SITE_NAME}", "size": "Small",
         "weight": "Bolder", "color": "Accent", "wrap": True},
        {"type": "TextBlock", "text": item.display_title[:200], "size": "Large", "weight": "Bolder", "wrap": True},
    ]
    if summary:
        body.append({"type": "TextBlock", "text": summary, "isSubtle": True, "wrap": True})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Share it in your words", "url": url}],
    }
    return {"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}]}


TEAMS = Channel(
    name="Teams", task="notify.teams_post", webhook_model=TeamsWebhook, announcement_model=TeamsAnnouncement,
    validate_url=validate_teams_webhook_url, message=teams_message, timeout_setting="TEAMS_WEBHOOK_TIMEOUT",
    accepted=lambda status: 200 <= status < 300,  # Workflows answers 202 Accepted
)


def teams_announce(*, webhook: TeamsWebhook, item: ContentItem) -> str:
    """Announce ``item`` in the team's Teams channel at most once; returns the status
    (see ``channels.channel_announce``)."""
    return channel_announce(TEAMS, webhook=webhook, item=item)
