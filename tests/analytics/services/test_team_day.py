"""TeamDay (ShareDay summed per day, network and team) and the one-query distinct sharers:
they must give exactly what the old computation gave (DailyTotals, COUNT DISTINCT over
ShareDay), after the incremental sweep, after a full rebuild, and after the upgrade's backfill."""

import importlib
import uuid
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from analytics.models import Click, DailyTotals, ShareDay, ShareMetrics, TeamDay
from analytics.periods import DateRange, utc_day
from analytics.selectors import dashboard as board
from analytics.selectors.dashboard import Filters
from analytics.services.rollups import rollup_run, share_days_rebuild_all
from tests.analytics.conftest import posted_share
from tests.factories import CampaignFactory, TeamFactory, UserFactory, published_item

pytestmark = pytest.mark.django_db

FIELDS = ("shares", "potential_reach", "estimated_impressions", "clicks", "unique_clicks", "previews",
          "reactions", "comments", "reshares", "impressions")


def click(share, *, visitor="v1", days_ago=0):
    at = timezone.now() - timedelta(days=days_ago)
    return Click.objects.create(event_id=uuid.uuid4(), share=share, occurred_at=at, day=utc_day(at), kind=1,
                                visitor_key=visitor)


def per_day_network_team(model) -> dict:
    rows = model.objects.values("day", "network", "team_id").annotate(**{f"{f}_": Sum(f) for f in FIELDS})
    return {(r["day"], r["network"], r["team_id"]): tuple(r[f"{f}_"] for f in FIELDS)
            for r in rows if any(r[f"{f}_"] for f in FIELDS)}


@pytest.fixture
def activity(no_redis):
    """Four days of shares and clicks over two teams, two campaigns, both networks, one
    person without a team and one whose shares belong to two teams (moved half-way)."""
    teams = [TeamFactory(name="Sales"), TeamFactory(name="Ops")]
    campaigns = [CampaignFactory(), CampaignFactory()]
    items = [published_item(campaign=campaigns[0]), published_item(campaign=campaigns[1]), published_item()]
    people = [UserFactory(team=teams[0]), UserFactory(team=teams[1]), UserFactory(team=None)]
    for i in range(12):
        share = posted_share(user=people[i % 3], network="x" if i % 2 else "linkedin", item=items[i % 3],
                             posted_at=timezone.now() - timedelta(days=i % 4, minutes=5))
        for j in range(i):
            click(share, visitor=f"v{j % 4}", days_ago=j % 3)
    rollup_run()
    mover = people[0]
    mover.team = teams[1]
    mover.save()
    posted_share(user=mover, item=items[0], posted_at=timezone.now() - timedelta(days=1))
    rollup_run()
    return {"teams": teams, "campaigns": campaigns, "mover": mover}


def test_team_days_are_the_share_days_summed_and_follow_the_sweep(activity):
    expected = per_day_network_team(ShareDay)
    assert per_day_network_team(TeamDay) == expected and len(expected) > 6
    # One row per (day, network, team): no campaign split.
    assert TeamDay.objects.count() == len(expected)
    # New clicks: the sweep rebuilds the day's TeamDay with the rest.
    share = ShareDay.objects.filter(team_id=activity["teams"][0].pk).first().share
    for v in ("n1", "n2", "n1"):
        click(share, visitor=v)
    rollup_run()
    assert per_day_network_team(TeamDay) == per_day_network_team(ShareDay) != expected


def test_a_full_rebuild_gives_the_same_team_days(activity):
    before = per_day_network_team(TeamDay)
    TeamDay.objects.all().delete()
    share_days_rebuild_all()
    assert per_day_network_team(TeamDay) == before


def test_the_upgrade_backfills_team_days_from_daily_totals(activity):
    """An install upgrading has DailyTotals and no TeamDay: the migration fills it in."""
    before = per_day_network_team(TeamDay)
    TeamDay.objects.all().delete()
    migration = importlib.import_module("analytics.migrations.0008_team_day")
    migration.backfill(apps, connection.schema_editor())
    assert per_day_network_team(TeamDay) == before == per_day_network_team(DailyTotals)


def _old_distinct(f: Filters) -> tuple[int, dict]:
    """How the tiles and the teams table counted active advocates before (two queries)."""
    rows = ShareDay.objects.filter(f.q(), shares=1)
    total = rows.values("user_id").distinct().count()
    by_team = {r["team_id"]: r["n"] for r in rows.values("team_id").annotate(n=Count("user_id", distinct=True))
               .order_by()}
    return total, by_team


def test_active_advocates_in_one_query_match_the_distinct_counts(activity, django_assert_num_queries):
    today = utc_day(timezone.now())
    teams, campaigns = activity["teams"], activity["campaigns"]
    for f in (Filters(DateRange(today - timedelta(days=6), today)),
              Filters(DateRange(today - timedelta(days=1), today)),
              Filters(DateRange(today - timedelta(days=6), today), team_id=teams[1].pk),
              Filters(DateRange(today - timedelta(days=6), today), campaign_id=campaigns[0].pk, network="linkedin")):
        with django_assert_num_queries(1):
            active = board.active_advocates(f)
        total, by_team = _old_distinct(f)
        assert (active.total, active.by_team) == (total, by_team)
    # The mover shared for both teams: once in each team's count, once overall.
    f = Filters(DateRange(today - timedelta(days=6), today))
    active = board.active_advocates(f)
    assert active.total == 3 and sum(active.by_team.values()) == 4
    assert active.by_team[teams[0].pk] == 1 and active.by_team[teams[1].pk] == 2 and active.by_team[None] == 1


def test_tiles_and_teams_read_the_same_numbers_as_daily_totals(activity):
    """Without a campaign the tiles and the teams table read TeamDay; with one, DailyTotals.
    Every campaign's figures add up to the unfiltered ones (items without one included)."""
    today = utc_day(timezone.now())
    period = DateRange(today - timedelta(days=6), today)
    whole = board.kpis(Filters(period))
    totals = DailyTotals.objects.filter(day__gte=period.start, day__lte=period.end).aggregate(
        **{f: Sum(f) for f in FIELDS})
    assert (whole.shares, whole.clicks, whole.unique_clicks, whole.potential_reach) == (
        totals["shares"], totals["clicks"], totals["unique_clicks"], totals["potential_reach"])
    by_campaign = [board.kpis(Filters(period, campaign_id=c.pk)) for c in activity["campaigns"]]
    assert all(k.shares for k in by_campaign) and sum(k.shares for k in by_campaign) < whole.shares
    teams = {row.team_id: row for row in board.teams_table(Filters(period))}
    daily = {r["team_id"]: r for r in DailyTotals.objects.filter(day__gte=period.start).values("team_id")
             .annotate(clicks_=Sum("clicks"), shares_=Sum("shares")).order_by()}
    assert {k: (v.clicks, v.shares) for k, v in teams.items() if k in daily} == {
        k: (v["clicks_"], v["shares_"]) for k, v in daily.items()}
    assert ShareMetrics.objects.filter(share__user=activity["mover"]).values("team_id").distinct().count() == 2


def test_a_deleted_team_leaves_its_numbers_under_no_team(activity):
    today = utc_day(timezone.now())
    f = Filters(DateRange(today - timedelta(days=6), today))
    before = sum(row.clicks for row in board.teams_table(f))
    activity["teams"][0].delete()
    assert per_day_network_team(TeamDay) == per_day_network_team(DailyTotals)
    assert sum(row.clicks for row in board.teams_table(f)) == before
