"""The employee's "My impact" page, the leaderboard page and ``advocate_impact``."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.impact import Impact, advocate_impact
from analytics.models import Click, EngagementSnapshot, ShareMetrics
from analytics.periods import utc_day
from analytics.services.rollups import rollup_run
from tests.analytics.conftest import posted_share
from tests.factories import TeamFactory, UserFactory, published_item

pytestmark = pytest.mark.django_db


def clicks(share, n, *, when=None):
    when = when or timezone.now()
    Click.objects.bulk_create([
        Click(event_id=uuid.uuid4(), share=share, occurred_at=when, day=utc_day(when), visitor_key=f"v{i}")
        for i in range(n)
    ])


def my_activity(user, n):
    for i in range(n):
        share = posted_share(user=user, network="x" if i % 2 else "linkedin", item=published_item(),
                             posted_at=timezone.now() - timedelta(days=i, hours=1))
        clicks(share, i + 1)
    rollup_run()


def test_my_impact_shows_only_my_shares_with_their_numbers(client, no_redis):
    me, other = UserFactory(), UserFactory()
    mine = posted_share(user=me, item=published_item(title="Mine to share"), audience=1234)
    posted_share(user=other, item=published_item(title="Someone else's"))
    clicks(mine, 4)
    rollup_run()
    ShareMetrics.objects.filter(share=mine).update(reactions=3, comments=2, polls=1, impressions=900)
    client.force_login(me)
    body = client.get("/impact/").content.decode()
    assert "Mine to share" in body and "Someone else" not in body
    assert "1,234" in body and "(4 unique)" in body and "900 seen" in body
    assert "<svg" in body and "Show the numbers" in body
    assert "My points and rank" in body and "#1" in body


def test_my_impact_query_count_does_not_grow(client, no_redis):
    me = UserFactory(team=TeamFactory(name="Crew"))
    my_activity(me, 2)
    client.force_login(me)
    client.get("/impact/")
    with CaptureQueriesContext(connection) as small:
        assert client.get("/impact/").status_code == 200
    my_activity(me, 25)
    for _ in range(10):
        my_activity(UserFactory(), 1)
    with CaptureQueriesContext(connection) as large:
        assert client.get("/impact/").status_code == 200
    assert len(large) == len(small) <= 25


def test_leaderboard_page_lists_people_and_teams_and_respects_opt_out(client, no_redis):
    shy = UserFactory(full_name="Shy Sharer", leaderboard_opt_out=True)
    keen = UserFactory(full_name="Keen Sharer")
    my_activity(shy, 3)
    my_activity(keen, 1)
    client.force_login(shy)
    body = client.get("/impact/leaderboard/?period=all").content.decode()
    assert "Keen Sharer" in body and "Shy Sharer" not in body
    assert "You opted out of leaderboards" in body
    client.force_login(keen)
    team_view = client.get("/impact/leaderboard/?period=week&scope=team")
    assert team_view.status_code == 200 and team_view.context["scope"] == "team"
    assert client.get("/impact/leaderboard/?period=nonsense").context["period_key"] == "month"


def test_advocate_impact_fills_the_digest_numbers(no_redis):
    me, rival = UserFactory(), UserFactory()
    start = datetime(2026, 3, 2, tzinfo=UTC)
    end = start + timedelta(days=7)
    share = posted_share(user=me, posted_at=start + timedelta(days=1), audience=800)
    posted_share(user=me, posted_at=start - timedelta(days=2), audience=300)  # before the period
    posted_share(user=rival, posted_at=start + timedelta(days=2))
    clicks(share, 5, when=start + timedelta(days=1, hours=2))
    EngagementSnapshot.objects.create(share=share, taken_at=start + timedelta(days=2), day=(start + timedelta(days=2)).date(),
                                      reactions=4, d_reactions=4)
    rollup_run()
    impact = advocate_impact(me, start=start, end=end)
    assert isinstance(impact, Impact)
    assert (impact.shares, impact.clicks, impact.engagements, impact.potential_reach) == (1, 5, 4, 800)
    assert impact.points == 10 + 5 + 8  # a share, five unique clicks, four engagements
    # The rival's first share in the period also earned the first-share bonus: 35 points.
    assert impact.rank == 2
    assert impact.previous_rank == 1  # my first share, before the period, earned mine then
    rival_impact = advocate_impact(rival, start=start, end=end)
    assert (rival_impact.points, rival_impact.rank, rival_impact.previous_rank) == (35, 1, None)


def test_advocate_impact_has_no_rank_for_people_who_opted_out(no_redis):
    me = UserFactory(leaderboard_opt_out=True)
    posted_share(user=me)
    rollup_run()
    now = timezone.now()
    impact = advocate_impact(me, start=now - timedelta(days=1), end=now + timedelta(days=1))
    assert impact.points == 35 and impact.rank is None
