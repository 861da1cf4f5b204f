"""The analytics page's period-independent panels, from a snapshot.

The adoption funnel, connection health and campaign progress do not depend on the period
chosen, and counting them reads every advocate, connection and posted share (0.5–1 s at
100,000 advocates), on every view. The unfiltered page reads them from ``PanelSnapshot``
instead, with the time they were counted; beat refreshes it every few minutes
(``metrics.panels_refresh``) and a view finding it missing or older than
``ANALYTICS_PANELS_MAX_AGE`` counts them itself and stores the result. The numbers are the
selectors' own (the API and the CSV exports call those directly, live); only their age differs.
A view filtered by team or campaign counts live (those are rarer, and would need a row each).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from advocacy.models import SocialAccount
from analytics.models import PanelSnapshot
from analytics.selectors import dashboard as board
from content.models import Campaign

KEY = "page"


@dataclass
class PagePanels:
    funnel: list[board.FunnelStep]
    health: board.ConnectionHealth
    campaigns: list[board.CampaignProgress]
    as_of: datetime
    live: bool


def _encode(funnel, health, campaigns) -> dict:
    return {
        "funnel": [[s.label, s.count, s.percent_of_first, s.help] for s in funnel],
        "health": {
            "counts": health.counts, "attention_total": health.attention_total,
            "attention": [{"network": a.network, "status": a.status,
                           "expires_at": a.expires_at.isoformat() if a.expires_at else None,
                           "full_name": a.user.full_name, "email": a.user.email} for a in health.attention],
        },
        "campaigns": [{"id": c.campaign.pk, "name": c.campaign.name, "goal_shares": c.campaign.goal_shares,
                       "goal_clicks": c.campaign.goal_clicks, "shares": c.shares, "clicks": c.clicks}
                      for c in campaigns],
    }


def _decode(data: dict, as_of: datetime) -> PagePanels:
    health = board.ConnectionHealth(counts=data["health"]["counts"],
                                    attention_total=data["health"]["attention_total"])
    health.attention = [
        SocialAccount(network=a["network"], status=a["status"],
                      expires_at=parse_datetime(a["expires_at"]) if a["expires_at"] else None,
                      user=User(full_name=a["full_name"], email=a["email"]))
        for a in data["health"]["attention"]
    ]
    campaigns = [
        board.CampaignProgress(Campaign(pk=c["id"], name=c["name"], goal_shares=c["goal_shares"],
                                        goal_clicks=c["goal_clicks"]), c["shares"], c["clicks"])
        for c in data["campaigns"]
    ]
    funnel = [board.FunnelStep(*step) for step in data["funnel"]]
    return PagePanels(funnel, health, campaigns, as_of, live=False)


def _count(team_id: int | None = None, campaign_id: int | None = None):
    return (board.adoption_funnel(team_id=team_id), board.connection_health(team_id=team_id),
            board.campaign_progress(campaign_id=campaign_id))


def panels_refresh(*, now: datetime | None = None) -> PagePanels:
    """Count the unfiltered panels and store them (beat, every few minutes; a view finding
    the snapshot stale). Harmless to repeat or to run twice at once: the last write wins,
    and both wrote the same kind of numbers."""
    now = now or timezone.now()
    funnel, health, campaigns = _count()
    snapshot_store(KEY, _encode(funnel, health, campaigns), now)
    return PagePanels(funnel, health, campaigns, now, live=True)


def snapshot_store(key: str, data: dict, at: datetime) -> None:
    """Write (or overwrite) the snapshot row ``key``. Beat and a view finding it stale may
    both write the same kind of numbers at once: the last write wins."""
    PanelSnapshot.objects.bulk_create(
        [PanelSnapshot(key=key, data=data, computed_at=at)],
        update_conflicts=True, unique_fields=["key"], update_fields=["data", "computed_at"],
    )


def page_panels(*, team_id: int | None = None, campaign_id: int | None = None,
                now: datetime | None = None) -> PagePanels:
    """The panels for the page: from the snapshot when unfiltered and fresh enough."""
    now = now or timezone.now()
    max_age = settings.ANALYTICS_PANELS_MAX_AGE
    if team_id or campaign_id or max_age <= 0:
        return PagePanels(*_count(team_id, campaign_id), as_of=now, live=True)
    row = PanelSnapshot.objects.filter(key=KEY, computed_at__gt=now - timedelta(seconds=max_age)).first()
    if row is None or row.computed_at > now:
        return panels_refresh(now=now)
    return _decode(row.data, row.computed_at)
