"""Shares and clicks per campaign, for campaign goals.

Shares are counted live from the shares table; clicks come from the analytics rollups
(at most a minute or two old), never from the raw click rows.
"""

from django.db.models import Sum

from advocacy.models import Share, ShareStatus
from analytics.models import ItemDay
from content.models import Campaign


def campaign_counts(campaign: Campaign) -> dict[str, int]:
    shares = Share.objects.filter(item__campaign=campaign, status=ShareStatus.POSTED).count()
    clicks = ItemDay.objects.filter(campaign=campaign).aggregate(n=Sum("clicks"))["n"] or 0
    return {"shares": shares, "clicks": clicks}
