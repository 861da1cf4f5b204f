"""The marketing analytics page: who may see it, filters, bounded queries, CSV exports."""

import csv
import io
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import ADMIN, ADVOCATE
from analytics.models import Click
from analytics.periods import utc_day
from analytics.services.enrolment import enrolment_snapshot
from analytics.services.rollups import rollup_run
from tests.analytics.conftest import posted_share
from tests.factories import (
    CampaignFactory,
    SocialAccountFactory,
    TeamFactory,
    UserFactory,
    advocate,
    approver,
    curator,
    published_item,
)

pytestmark = pytest.mark.django_db
URL = "/analytics/"


def activity(n: int, *, teams=None, campaigns=None) -> None:
    """``n`` posted shares with clicks, spread over teams, campaigns, networks and days."""
    teams = teams or [TeamFactory(name=f"Team {uuid.uuid4().hex[:6]}") for _ in range(2)]
    campaigns = campaigns or [CampaignFactory(goal_shares=10, goal_clicks=100)]
    now = timezone.now()
    for i in range(n):
        user = UserFactory(team=teams[i % len(teams)], leaderboard_opt_out=(i % 5 == 4))
        item = published_item(campaign=campaigns[i % len(campaigns)])
        share = posted_share(user=user, item=item, network="x" if i % 2 else "linkedin",
                             posted_at=now - timedelta(days=i % 6, hours=1))
        Click.objects.bulk_create([
            Click(event_id=uuid.uuid4(), share=share, occurred_at=now - timedelta(hours=j),
                  day=utc_day(now - timedelta(hours=j)), visitor_key=f"v{j % 3}")
            for j in range(i + 1)
        ])
        SocialAccountFactory(user=user, network="x" if i % 2 == 0 else "linkedin",
                             status="reconnect" if i % 3 == 0 else "active")
    rollup_run()
    enrolment_snapshot()


@pytest.fixture
def staff_client(client):
    client.force_login(curator())
    return client


def test_only_staff_with_the_permission_see_it(client, no_redis):
    assert client.get(URL).status_code == 302  # to the login page
    client.force_login(advocate())
    assert client.get(URL).status_code == 403
    assert client.get("/analytics/export/teams.csv").status_code == 403
    assert b"Analytics</a>" not in client.get("/impact/").content
    for user in (curator(), approver(), UserFactory(roles=[ADMIN, ADVOCATE])):
        client.force_login(user)
        response = client.get(URL)
        assert response.status_code == 200, user
        assert b'href="/analytics/"' in response.content


def test_the_page_shows_every_section(staff_client, no_redis):
    activity(6)
    body = staff_client.get(URL).content.decode()
    for heading in ("Key numbers", "Shares per day", "Clicks per day", "Top content", "Top advocates", "Teams",
                    "Adoption funnel", "Connection health", "X spend this month", "Campaign progress",
                    "How these numbers are calculated"):
        assert heading in body, heading
    assert "<svg" in body and "<script" not in body.split("<main", 1)[1].split("</main>")[0]
    assert "Show the numbers" in body  # the data table behind each chart
    assert 'data-tip="Active advocates ÷ advocates enrolled' in body
    assert "estimated from potential reach" in body
    assert "opted out of leaderboards" in body


def test_query_count_does_not_grow_with_data(staff_client, no_redis):
    teams = [TeamFactory(name="A"), TeamFactory(name="B")]
    campaigns = [CampaignFactory(goal_shares=5), CampaignFactory(goal_clicks=50)]
    activity(3, teams=teams, campaigns=campaigns)
    staff_client.get(URL)  # the first view creates the programme settings row
    with CaptureQueriesContext(connection) as small:
        assert staff_client.get(URL).status_code == 200
    activity(30, teams=teams + [TeamFactory(name="C")], campaigns=campaigns + [CampaignFactory(goal_shares=9)])
    with CaptureQueriesContext(connection) as large:
        assert staff_client.get(URL).status_code == 200
    assert len(large) == len(small) <= 45


def test_filters_narrow_the_numbers(staff_client, no_redis):
    team = TeamFactory(name="Only")
    other = TeamFactory(name="Other")
    activity(4, teams=[team, other])
    everything = staff_client.get(URL).context["kpis"]
    x_only = staff_client.get(URL, {"network": "x"}).context["kpis"]
    team_only = staff_client.get(URL, {"team": team.pk}).context["kpis"]
    assert everything.shares == 4 and x_only.shares == 2 and team_only.shares == 2
    assert x_only.clicks + staff_client.get(URL, {"network": "linkedin"}).context["kpis"].clicks == everything.clicks
    today = utc_day(timezone.now())
    narrow = staff_client.get(URL, {"start": today.isoformat(), "end": today.isoformat()}).context
    assert narrow["f"].period.days == 1 and narrow["kpis"].shares <= everything.shares


def test_bad_filters_get_a_clear_error_and_the_default_period(staff_client, no_redis):
    response = staff_client.get(URL, {"start": "2026-03-10", "end": "2026-03-01", "team": "999999"})
    assert response.status_code == 200
    assert "The end date is before the start date" in response.content.decode() or response.context["form"].errors
    assert response.context["f"].period.days == 28 and response.context["f"].team_id is None


@pytest.mark.parametrize("table", ["kpis", "daily", "content", "advocates", "teams", "funnel", "connections",
                                   "campaigns"])
def test_every_table_exports_a_streamed_csv(staff_client, no_redis, table):
    activity(5)
    response = staff_client.get(f"/analytics/export/{table}.csv")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) >= 2 and all(len(r) == len(rows[0]) for r in rows)


def test_csv_neutralises_formulas_and_hides_opted_out_advocates(staff_client, no_redis):
    item = published_item(title="=HYPERLINK(\"http://evil.example\")")
    shy = UserFactory(full_name="Shy Person", leaderboard_opt_out=True)
    posted_share(item=item)
    posted_share(user=shy)
    rollup_run()
    content = b"".join(staff_client.get("/analytics/export/content.csv").streaming_content).decode()
    assert "'=HYPERLINK" in content
    advocates = b"".join(staff_client.get("/analytics/export/advocates.csv").streaming_content).decode()
    assert "Shy Person" not in advocates


def test_unknown_export_is_404(staff_client):
    assert staff_client.get("/analytics/export/passwords.csv").status_code == 404


def test_quick_periods(staff_client, no_redis):
    from datetime import date

    from analytics.periods import DateRange, preset_period

    today = date(2026, 5, 14)
    assert preset_period("7d", today) == DateRange(date(2026, 5, 8), today)
    assert preset_period("365d", today).days == 365
    assert preset_period("last_month", today) == DateRange(date(2026, 4, 1), date(2026, 4, 30))
    assert preset_period("year", today) == DateRange(date(2026, 1, 1), today)
    assert preset_period("3d", today) is None  # only the listed ones
    response = staff_client.get(URL, {"period": "90d", "start": "2026-01-01"})
    assert response.context["f"].period.days == 90  # a quick period wins over a stray date
    assert 'name="period"' in response.content.decode() and "analytics/filters.js" in response.content.decode()
    bad = staff_client.get(URL, {"period": "forever"})
    assert bad.status_code == 200 and bad.context["form"].errors["period"]
    assert bad.context["f"].period.days == 28
