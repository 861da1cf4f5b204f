"""Shares (and, once click tracking lands, clicks) per campaign, for campaign goals."""

from advocacy.models import Share, ShareStatus
from content.models import Campaign


def campaign_counts(campaign: Campaign) -> dict[str, int]:
    shares = Share.objects.filter(item__campaign=campaign, status=ShareStatus.POSTED).count()
    return {"shares": shares, "clicks": 0}
