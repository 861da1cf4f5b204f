"""A person with a real history, for the My data and account deletion tests: LinkedIn and X
connected through the sandbox's OAuth flow, shares posted to the sandbox over loopback,
clicks through the tracked links, rollups and points, a notification and a suggestion.
A colleague in the same team has some of the same, to prove nothing of theirs leaks or
changes."""

from dataclasses import dataclass, replace

import pytest
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from accounts.models import Team, User
from advocacy.models import Share
from advocacy.services.posting import share_post
from advocacy.services.sharing import ShareRequest, share_create
from analytics.models import DailyTotals, ItemDay, PointsEntry, PointsMonth, ShareDay
from analytics.periods import DateRange, utc_day
from analytics.selectors.dashboard import Filters, Kpis, kpis, teams_table
from analytics.services.rollups import rollup_run
from content.models import Campaign, ContentSuggestion
from content.progress import campaign_progress
from content.services.suggestions import suggestion_accept, suggestion_create
from notifications.services.inapp import notify
from tests.factories import CampaignFactory, TeamFactory, UserFactory, curator, published_item
from tests.support import connect_account

ANN_LINKEDIN_TEXT = "Ann's own words about the launch: proud of the team"
ANN_X_TEXT = "Ann on X: our launch is live"
ANN_NOTE = "Ann's private note: my cousin wrote this"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


@dataclass
class History:
    ann: User
    bob: User
    team: Team
    campaign: Campaign
    shares: list[Share]  # Ann's posted shares (LinkedIn, X)
    scheduled: Share  # Ann's share still waiting to go out
    bob_share: Share
    tokens: dict[str, list[str]]  # Ann's tokens per network, as the sandbox issued them
    suggestion: ContentSuggestion


def _click(share: Share, ip: str) -> None:
    response = Client().get(f"/r/{share.link_code}", HTTP_USER_AGENT=BROWSER, REMOTE_ADDR=ip)
    assert response.status_code == 302


def _post(user: User, item, texts: dict[str, str], key: str, capture) -> list[Share]:
    with capture(execute=False):
        shares = share_create(user=user, item=item, request=ShareRequest(
            networks=list(texts), texts=texts, idempotency_key=key))
    for share in shares:
        assert share_post(share_id=share.pk).status == "posted"
    return [Share.objects.get(pk=s.pk) for s in shares]


@pytest.fixture
def history(networks, redis_url, django_capture_on_commit_callbacks) -> History:
    capture = django_capture_on_commit_callbacks
    team = TeamFactory(name="Sales")
    campaign = CampaignFactory(name="Spring launch", goal_shares=10, goal_clicks=100)
    ann = UserFactory(full_name="Ann Lee", email="ann@example.com", team=team, job_title="Field engineer",
                      location="Lisbon")
    bob = UserFactory(full_name="Bob Stone", email="bob@example.com", team=team)
    for network in ("linkedin", "x"):
        connect_account(ann, network, networks, name="Ann Lee")
    connect_account(bob, "linkedin", networks, name="Bob Stone")
    tokens = {a.network: [t for t in (a.access_token, a.refresh_token) if t] for a in ann.social_accounts.all()}

    item = published_item(url="https://example.com/launch", campaign=campaign)
    shares = _post(ann, item, {"linkedin": ANN_LINKEDIN_TEXT, "x": ANN_X_TEXT}, "ann-1", capture)
    [bob_share] = _post(bob, item, {"linkedin": "Bob's words"}, "bob-1", capture)
    with capture(execute=False):
        [scheduled] = share_create(user=ann, item=published_item(campaign=campaign), request=ShareRequest(
            networks=["linkedin"], texts={"linkedin": "Ann, scheduled"}, idempotency_key="ann-2",
            scheduled_for=timezone.now() + timezone.timedelta(days=1)))

    for index, share in enumerate(shares + [bob_share]):
        for visitor in range(index + 2):
            _click(share, f"203.0.113.{visitor + 1}")
    with capture(execute=True):
        suggestion = suggestion_create(user=ann, url="https://example.com/idea", note=ANN_NOTE)
    with capture(execute=True):
        suggestion_accept(suggestion=suggestion, user=curator(), message="Thanks Ann, great find")
    notify(user=ann, kind="system", title="Hello Ann", body="A note for Ann only")
    notify(user=bob, kind="system", title="Hello Bob", body="A note for Bob only")
    rollup_run()
    assert ShareDay.objects.filter(user=ann).aggregate(c=Sum("clicks"))["c"] == 2 + 3
    return History(ann=ann, bob=bob, team=team, campaign=campaign, shares=shares, scheduled=scheduled,
                   bob_share=bob_share, tokens=tokens, suggestion=suggestion)


def activity(f: Filters) -> Kpis:
    return replace(kpis(f), enrolled=0, enrolled_source="")


def analytics_totals(history: History) -> dict:
    """Every number marketing and the teams see, as they stand now."""
    today = utc_day(timezone.now())
    period = DateRange(today - timezone.timedelta(days=30), today)
    counters = ("shares", "clicks", "unique_clicks", "previews", "reactions", "comments", "reshares",
                "impressions", "potential_reach", "estimated_impressions")

    def sums(model) -> dict:
        return model.objects.aggregate(**{c: Sum(c) for c in counters})

    return {
        "daily_totals": sums(DailyTotals),
        "item_day": sums(ItemDay),
        "share_day": sums(ShareDay),
        "share_day_by_team": list(ShareDay.objects.values("team_id").annotate(c=Sum("clicks"), s=Sum("shares"))
                                  .order_by("team_id")),
        "points": PointsEntry.objects.aggregate(p=Sum("points"))["p"],
        "points_by_team": list(PointsEntry.objects.values("team_id").annotate(p=Sum("points")).order_by("team_id")),
        "points_months": PointsMonth.objects.aggregate(p=Sum("points"))["p"],
        # Today's enrolment is "as things stand" (a leaver is no longer enrolled); the rest is history.
        "kpis": activity(Filters(period)),
        "campaign_kpis": activity(Filters(period, campaign_id=history.campaign.pk)),
        "team_kpis": activity(Filters(period, team_id=history.team.pk)),
        "teams": [(r.team_id, r.shares, r.clicks, r.unique_clicks, r.engagements, r.potential_reach,
                   r.active_advocates) for r in teams_table(Filters(period))],
        "campaign_progress": [(g.label, g.done) for g in campaign_progress(history.campaign)],
        "posted_shares": Share.objects.filter(status="posted").count(),
    }
