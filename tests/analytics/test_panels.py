"""The analytics page's period-independent panels from a snapshot: the same numbers as the
live selectors, their age shown, recounted when stale, live when filtered."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics import tasks
from analytics.models import PanelSnapshot
from analytics.panels import page_panels, panels_refresh
from analytics.selectors import dashboard as board
from analytics.services.rollups import rollup_run
from tests.analytics.conftest import posted_share
from tests.factories import (
    CampaignFactory,
    SocialAccountFactory,
    TeamFactory,
    UserFactory,
    curator,
    published_item,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(no_redis):
    team = TeamFactory(name="Sales")
    campaign = CampaignFactory(name="Launch", goal_shares=4, goal_clicks=40)
    people = [UserFactory(team=team, full_name=f"Person {i}") for i in range(4)]
    for i, person in enumerate(people[:3]):
        posted_share(user=person, item=published_item(campaign=campaign))
        SocialAccountFactory(user=person, network="x", status="reconnect" if i == 0 else "active")
    rollup_run()
    return {"team": team, "campaign": campaign, "people": people}


def figures(panels) -> tuple:
    """What the page shows of the three panels."""
    return (
        [(s.label, s.count, s.percent_of_first, s.help) for s in panels.funnel],
        panels.health.counts, panels.health.attention_total,
        [(a.user.full_name, a.user.email, a.network, a.status, a.expires_at) for a in panels.health.attention],
        [(c.campaign.pk, c.campaign.name, c.campaign.goal_shares, c.campaign.goal_clicks, c.shares, c.clicks,
          c.shares_percent, c.clicks_percent) for c in panels.campaigns],
    )


def live() -> tuple:
    """The same panels from the selectors, counted now (what the API and the CSVs return)."""
    return figures(SimpleNamespace(funnel=board.adoption_funnel(), health=board.connection_health(),
                                   campaigns=board.campaign_progress()))


def test_the_snapshot_holds_the_selectors_numbers(programme):
    counted = figures(page_panels())  # no snapshot yet: counted and stored
    assert PanelSnapshot.objects.count() == 1
    stored = page_panels()
    assert not stored.live and figures(stored) == counted == live()
    assert counted[0][1][1] == 4 and counted[4][0][4] == 3  # enrolled, campaign shares: real numbers


def test_a_fresh_snapshot_is_read_and_a_stale_one_recounted(programme, settings):
    settings.ANALYTICS_PANELS_MAX_AGE = 600
    now = timezone.now()
    panels_refresh(now=now - timedelta(seconds=60))
    posted_share(user=programme["people"][3], item=published_item(campaign=programme["campaign"]))
    rollup_run()
    with CaptureQueriesContext(connection) as fresh:
        old = page_panels(now=now)
    assert len(fresh) == 1 and not old.live and old.as_of == now - timedelta(seconds=60)
    assert figures(old) != live()  # a minute old: the newest share is not in it yet
    recounted = page_panels(now=now + timedelta(seconds=600))
    assert recounted.live and figures(recounted) == live()
    assert PanelSnapshot.objects.get().computed_at == now + timedelta(seconds=600)


def test_filtered_views_and_a_zero_max_age_count_live(programme, settings):
    panels_refresh(now=timezone.now() - timedelta(seconds=5))
    team = page_panels(team_id=programme["team"].pk)
    assert team.live and figures(team)[0] == [
        (s.label, s.count, s.percent_of_first, s.help) for s in board.adoption_funnel(team_id=programme["team"].pk)]
    assert page_panels(campaign_id=programme["campaign"].pk).live
    settings.ANALYTICS_PANELS_MAX_AGE = 0
    assert page_panels().live


def test_the_beat_task_refreshes_the_snapshot(programme):
    panels_refresh(now=timezone.now() - timedelta(hours=1))
    result = tasks.panels_refresh()
    assert "28d" in result["counted"] and PanelSnapshot.objects.filter(key="period:28d").exists()  # the periods too
    row = PanelSnapshot.objects.get(key="page")
    assert timezone.now() - row.computed_at < timedelta(minutes=1)
    assert figures(page_panels()) == live()


def test_the_page_says_how_old_the_panels_are(programme, client):
    client.force_login(curator())
    first = client.get("/analytics/").content.decode()
    assert "data-panels-as-of" not in first  # counted for this view: nothing to explain
    second = client.get("/analytics/").content.decode()
    assert "data-panels-as-of" in second and "Person 0" in second  # from the snapshot, same content
    assert second.count("Needs reconnecting") == first.count("Needs reconnecting") == 1
