"""The ``data`` of each event type: stable, documented shapes (changing one is a breaking
change for every receiver). Ids and useful fields only: never a token, and of a person
only the id and email, and only in events about that person.

Every body is ``{"type": ..., "timestamp": <ISO 8601 with offset, when it happened>,
"data": {...}}``; ``build_body`` writes it.
"""

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse

from accounts.models import User
from advocacy.models import Share
from content.models import ContentItem
from notifications.models import DeliveryKind, EmailDelivery


def build_body(*, event_type: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    """The exact JSON text sent (and signed): compact, keys in the order written here."""
    envelope = {"type": event_type, "timestamp": occurred_at.isoformat(), "data": data}
    return json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def person(user: User) -> dict[str, Any]:
    return {"id": user.pk, "email": user.email}


def content_published(item: ContentItem) -> dict[str, Any]:
    """``content.published``: an approved item went live in the portal."""
    campaign = item.campaign
    return {
        "item": {
            "id": item.pk,
            "title": item.display_title,
            "url": item.url or None,
            "share_url": f"{settings.SITE_URL}{reverse('share_dialog', args=[item.pk])}",
            "content_type": item.content_type,
            "campaign": {"id": campaign.pk, "name": campaign.name} if campaign else None,
            "published_at": _iso(item.published_at),
            "expires_at": _iso(item.expires_at),
        },
    }


def _share(share: Share) -> dict[str, Any]:
    return {"id": share.pk, "item_id": share.item_id, "network": share.network}


def share_posted(share: Share, *, how: str) -> dict[str, Any]:
    """``share.posted``: an employee's share is on their profile (``how`` says how Chorus
    knows: "published", "found on the network", "confirmed by the employee")."""
    return {
        "share": {
            **_share(share),
            "post_id": share.remote_id or None,
            "post_url": share.remote_url or None,
            "tracked_url": share.tracked_url if share.item.url else None,
            "posted_at": _iso(share.posted_at),
            "how": how,
        },
        "person": person(share.user),
    }


def share_failed(share: Share, *, reason: str) -> dict[str, Any]:
    """``share.failed``: a share ended failed; ``reason`` is what the employee was told."""
    return {
        "share": {**_share(share), "error_code": share.error_code or None, "reason": reason},
        "person": person(share.user),
    }


def clicks_recorded(counts: dict[int, dict[str, int]], shares: dict[int, Share], *, first_at: datetime,
                    last_at: datetime) -> dict[str, Any]:
    """``clicks.recorded``: one flush of the click buffer, counted per share (clicks by
    people; previews by crawlers, HEAD and prefetch requests). Shares deleted meanwhile
    are left out."""
    rows = [
        {"share_id": pk, "item_id": shares[pk].item_id, "network": shares[pk].network,
         "clicks": counts[pk]["clicks"], "previews": counts[pk]["previews"]}
        for pk in sorted(counts) if pk in shares
    ]
    return {
        "period": {"first_click_at": first_at.isoformat(), "last_click_at": last_at.isoformat()},
        "totals": {"clicks": sum(r["clicks"] for r in rows), "previews": sum(r["previews"] for r in rows)},
        "shares": rows,
    }


DIGEST_KINDS = {DeliveryKind.WEEKLY_DIGEST: "weekly", DeliveryKind.DAILY_DIGEST: "daily"}


def digest_sent(delivery: EmailDelivery) -> dict[str, Any]:
    """``digest.sent``: one person's weekly or daily digest email was sent."""
    return {
        "digest": {
            "id": delivery.pk, "kind": DIGEST_KINDS[delivery.kind], "period": delivery.period,
            "sent_at": _iso(delivery.sent_at),
        },
        "person": person(delivery.user),
    }


def person_joined(user: User, *, how: str) -> dict[str, Any]:
    """``person.joined``: an account became usable for the first time (``how``:
    "invitation", "sso", "scim")."""
    return {"person": person(user), "how": how}


def test_event(endpoint_id: int) -> dict[str, Any]:
    """``webhook.test``: sent to one endpoint from the admin's "Send test event"."""
    return {"endpoint_id": endpoint_id, "message": f"A test event from {settings.SITE_NAME}."}
