"""The marketing analytics API: who may use it, the same numbers as the analytics page's
selectors for the same filters, the page's period rules, bounded queries, and CSV exports
that stream exactly the page's files."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import ADMIN, ADVOCATE
from accounts.services.api_tokens import api_token_create
from analytics.apis.marketing import buckets
from analytics.periods import DateRange, preset_period, utc_day
from analytics.selectors import dashboard as board
from analytics.selectors.dashboard import Filters, default_period
from analytics.views.exports import TABLES
from tests.analytics.views.test_dashboard import activity
from tests.api_schema import assert_matches_schema
from tests.factories import CampaignFactory, TeamFactory, UserFactory, advocate, approver, curator

pytestmark = pytest.mark.django_db

API = "/api/v1/analytics/"
ENDPOINTS = ["kpis/", "timeseries/", "networks/", "teams/", "campaigns/", "content/", "advocates/", "funnel/",
             "connections/", "export/teams.csv"]


def _today():
    return utc_day(timezone.now())


def _filters(**kwargs) -> Filters:
    return Filters(kwargs.pop("period", default_period(_today())), currency=settings.ANALYTICS_CURRENCY, **kwargs)


@pytest.fixture
def staff(client):
    client.force_login(curator())
    return client


@pytest.fixture
def scene():
    teams = [TeamFactory(name="North"), TeamFactory(name="South")]
    campaigns = [CampaignFactory(goal_shares=10, goal_clicks=100), CampaignFactory(goal_shares=4)]
    activity(6, teams=teams, campaigns=campaigns)
    return teams, campaigns


# --- who may -----------------------------------------------------------------------------

ROLES = {
    "advocate": lambda: advocate(),
    "curator": lambda: curator(),
    "approver": lambda: approver(),
    "admin": lambda: UserFactory(roles=[ADMIN, ADVOCATE]),
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(("role", "status"), [
    ("anonymous", 401), ("advocate", 403), ("curator", 200), ("approver", 200), ("admin", 200),
])
def test_who_may_read_the_analytics(client, no_redis, endpoint, role, status):
    if role != "anonymous":
        client.force_login(ROLES[role]())
    response = client.get(API + endpoint)
    assert response.status_code == status, response.content[:300]
    if status != 200:
        assert response.json()["error"]["code"] in {"not_authenticated", "permission_denied"}


@pytest.mark.parametrize("endpoint", ["kpis/", "export/kpis.csv"])
def test_tokens_read_but_a_read_only_token_never_writes(client, no_redis, endpoint):
    owner = curator()
    read_only = api_token_create(user=owner, name="BI", scope="read", expires_in_days=30).plain
    assert client.get(API + endpoint, HTTP_AUTHORIZATION=f"Bearer {read_only}").status_code == 200
    refused = client.post(API + endpoint, HTTP_AUTHORIZATION=f"Bearer {read_only}")
    assert refused.status_code == 403
    read_write = api_token_create(user=owner, name="BI", scope="read_write", expires_in_days=30).plain
    assert client.post(API + endpoint, HTTP_AUTHORIZATION=f"Bearer {read_write}").status_code == 405
    an_advocate = api_token_create(user=advocate(), name="x", scope="read", expires_in_days=30).plain
    assert client.get(API + endpoint, HTTP_AUTHORIZATION=f"Bearer {an_advocate}").status_code == 403


# --- the page's numbers ------------------------------------------------------------------


def _figures(k: board.Kpis) -> dict:
    return {
        "shares": k.shares, "active_advocates": k.active_advocates, "enrolled": k.enrolled,
        "enrolled_source": k.enrolled_source, "clicks": k.clicks, "unique_clicks": k.unique_clicks,
        "previews": k.previews, "engagements": k.engagements, "impressions": k.impressions,
        "estimated_impressions": k.estimated_impressions, "potential_reach": k.potential_reach,
    }


def _assert_same(body: dict, k: board.Kpis) -> None:
    assert {key: body[key] for key in _figures(k)} == _figures(k)
    assert body["participation"] == pytest.approx(k.participation)
    assert body["clicks_per_share"] == pytest.approx(k.clicks_per_share)
    assert Decimal(body["emv"]["total"]) == k.emv.total
    assert Decimal(body["emv"]["from_estimated"]) == k.emv.from_estimated
    assert body["emv"]["currency"] == k.emv.currency


def test_kpis_are_the_dashboards_for_every_filter(staff, no_redis, scene):
    (north, _), (first, _) = scene
    today = _today()
    cases = [
        ({}, _filters()),
        ({"network": "x"}, _filters(network="x")),
        ({"team": north.pk}, _filters(team_id=north.pk)),
        ({"campaign": first.pk}, _filters(campaign_id=first.pk)),
        ({"from": (today - timedelta(days=2)).isoformat(), "to": today.isoformat()},
         _filters(period=DateRange(today - timedelta(days=2), today))),
        ({"period": "7d", "network": "linkedin"}, _filters(period=preset_period("7d", today), network="linkedin")),
    ]
    for params, f in cases:
        body = staff.get(API + "kpis/", params).json()
        expected = board.kpis(f)
        assert expected.shares or params.get("campaign"), params  # the scene has activity to compare
        _assert_same(body, expected)
        _assert_same(body["previous"], board.kpis(f.replace_period(f.period.previous())))
        assert body["period"] == {"start": f.period.start.isoformat(), "end": f.period.end.isoformat(),
                                  "days": f.period.days}
    assert staff.get(API + "kpis/").json()["shares"] == 6


def test_networks_are_the_kpis_with_that_network_chosen(staff, no_redis, scene):
    body = staff.get(API + "networks/").json()
    assert [r["network"] for r in body["results"]] == ["linkedin", "x"]
    for row in body["results"]:
        _assert_same(row, board.kpis(_filters(network=row["network"])))
    assert sum(r["shares"] for r in body["results"]) == staff.get(API + "kpis/").json()["shares"]
    only_x = staff.get(API + "networks/", {"network": "x"}).json()["results"]
    assert [r["network"] for r in only_x] == ["x"]


def test_timeseries_is_the_daily_series_added_up(staff, no_redis, scene):
    daily = board.daily_series(_filters())
    for metric in ("shares", "clicks", "unique_clicks"):
        body = staff.get(API + "timeseries/", {"metric": metric}).json()
        assert [(p["start"], p["value"]) for p in body["points"]] == [
            (d.day.isoformat(), getattr(d, metric)) for d in daily]
        for interval in ("week", "month"):
            grouped = staff.get(API + "timeseries/", {"metric": metric, "interval": interval}).json()["points"]
            assert sum(p["value"] for p in grouped) == sum(getattr(d, metric) for d in daily)
            assert grouped[0]["start"] == daily[0].day.isoformat() and grouped[-1]["end"] == daily[-1].day.isoformat()
    assert staff.get(API + "timeseries/", {"metric": "reach"}).json()["error"]["field"] == "metric"


def test_weeks_start_on_monday_and_are_cut_to_the_period():
    from datetime import date

    points = [board.DayPoint(date(2026, 3, 1) + timedelta(days=n), 1, n, 0) for n in range(10)]  # Sun → Tue
    weeks = buckets(points, "shares", "week")
    assert [(w["start"], w["end"], w["value"]) for w in weeks] == [
        (date(2026, 3, 1), date(2026, 3, 1), 1), (date(2026, 3, 2), date(2026, 3, 8), 7),
        (date(2026, 3, 9), date(2026, 3, 10), 2)]
    assert [w["value"] for w in buckets(points, "clicks", "month")] == [45]


def test_teams_content_advocates_campaigns_funnel_connections_are_the_pages(staff, no_redis, scene):
    (north, _), _ = scene
    f = _filters()
    teams = staff.get(API + "teams/").json()["results"]
    assert [(t["team"], t["name"], t["shares"], t["clicks"], t["active_advocates"], t["enrolled"])
            for t in teams] == [(r.team_id, r.name, r.shares, r.clicks, r.active_advocates, r.enrolled)
                                for r in board.teams_table(f)]
    one = staff.get(API + "teams/", {"team": north.pk}).json()["results"]
    assert [t["team"] for t in one] == [north.pk]

    content = staff.get(API + "content/", {"limit": 3}).json()["results"]
    assert [(c["item"], c["clicks"], c["shares"]) for c in content] == [
        (r["item_id"], r["clicks"], r["shares"]) for r in board.top_content(f, limit=3)]

    advocates = staff.get(API + "advocates/").json()
    assert [(a["user"], a["clicks"]) for a in advocates["results"]] == [
        (r["user_id"], r["clicks"]) for r in board.top_advocates(f)]
    assert advocates["hidden_advocates"] == board.hidden_advocates(f) == 1  # one of the six opted out

    campaigns = staff.get(API + "campaigns/").json()
    assert [(c["id"], c["shares"], c["clicks"], c["shares_percent"]) for c in campaigns] == [
        (c.campaign.pk, c.shares, c.clicks, c.shares_percent) for c in board.campaign_progress()]

    funnel = staff.get(API + "funnel/", {"team": north.pk}).json()["results"]
    assert [(s["label"], s["count"]) for s in funnel] == [
        (s.label, s.count) for s in board.adoption_funnel(team_id=north.pk)]

    health = staff.get(API + "connections/").json()
    expected = board.connection_health()
    assert health["counts"] == expected.counts and health["attention_total"] == expected.attention_total
    assert [a["user"] for a in health["attention"]] == [a.user_id for a in expected.attention]


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.endswith("/")])
def test_every_answer_is_as_the_schema_documents_it(staff, no_redis, scene, endpoint):
    response = staff.get(API + endpoint)
    assert response.status_code == 200
    assert_matches_schema(response, "GET", f"{API}{endpoint}")


def test_campaign_progress_is_a_list_even_for_one_campaign(staff, no_redis, scene):
    _, (campaign, _) = scene
    response = staff.get(API + "campaigns/", {"campaign": campaign.pk})
    assert [row["id"] for row in response.json()] == [campaign.pk]
    assert_matches_schema(response, "GET", f"{API}campaigns/")


# --- the page's period rules -------------------------------------------------------------


@pytest.mark.parametrize(("params", "field", "words"), [
    ({"from": "2026-03-10", "to": "2026-03-01"}, None, "end date is before the start"),
    ({"from": "2020-01-01", "to": "2026-01-01"}, None, "at most three years"),
    ({"from": "01/03/2026"}, "from", "format"),
    ({"to": "2026-02-30"}, "to", ""),
    ({"period": "forever"}, "period", "valid choice"),
    ({"period": "7d", "from": "2026-03-01"}, "period", "not both"),
    ({"team": "999999"}, "team", "valid choice"),
    ({"campaign": "abc"}, "campaign", "integer"),
    ({"network": "myspace"}, "network", "valid choice"),
    ({"currency": "XYZ"}, "currency", "valid choice"),
])
def test_bad_filters_are_a_400_naming_the_input(staff, params, field, words):
    response = staff.get(API + "kpis/", params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["field"] == field and words in error["message"], error


def test_from_alone_is_a_default_length_period(staff, no_redis):
    start = _today() - timedelta(days=40)
    period = staff.get(API + "kpis/", {"from": start.isoformat()}).json()["period"]
    assert period["start"] == start.isoformat() and period["days"] == settings.ANALYTICS_DEFAULT_DAYS


# --- bounded queries ---------------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "most"), [
    ("kpis/", 18), ("networks/", 17), ("teams/", 12), ("advocates/", 10), ("content/", 9),
    ("timeseries/", 8), ("campaigns/", 8), ("funnel/", 9), ("connections/", 10),
])
def test_query_counts_do_not_grow_with_data(staff, no_redis, endpoint, most):
    teams = [TeamFactory(name="A"), TeamFactory(name="B")]
    activity(2, teams=teams)
    staff.get(API + endpoint)
    with CaptureQueriesContext(connection) as small:
        assert staff.get(API + endpoint).status_code == 200
    activity(12, teams=teams)
    with CaptureQueriesContext(connection) as large:
        assert staff.get(API + endpoint).status_code == 200
    assert len(large) == len(small) <= most, [q["sql"][:120] for q in large.captured_queries]


# --- CSV exports -------------------------------------------------------------------------


@pytest.mark.parametrize("table", list(TABLES))
def test_exports_stream_the_pages_files(staff, no_redis, scene, table):
    (north, _), _ = scene
    for params in ({}, {"team": north.pk, "network": "linkedin", "period": "7d"}):
        response = staff.get(f"{API}export/{table}.csv", params)
        assert response.status_code == 200 and response.streaming
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        page = staff.get(f"/analytics/export/{table}.csv", params)
        assert response["Content-Disposition"] == page["Content-Disposition"]
        body = b"".join(response.streaming_content)
        assert body == b"".join(page.streaming_content)
        rows = list(csv.reader(io.StringIO(body.decode("utf-8").lstrip("\ufeff"))))
        assert len(rows) >= (2 if table != "campaigns" or not params else 1)
        assert all(len(r) == len(rows[0]) for r in rows)


def test_export_with_a_period_and_asking_for_csv(staff, no_redis, scene):
    params = {"from": (_today() - timedelta(days=1)).isoformat(), "to": _today().isoformat()}
    response = staff.get(API + "export/daily.csv", params, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert len(lines) == 3  # the header and two days
    page = staff.get("/analytics/export/daily.csv", {"start": params["from"], "end": params["to"]})
    assert "\n".join(lines) == b"".join(page.streaming_content).decode().lstrip("\ufeff").strip().replace("\r", "")


def test_export_errors_are_json_in_the_one_shape(staff):
    unknown = staff.get(API + "export/passwords.csv", HTTP_ACCEPT="text/csv")
    assert unknown.status_code == 404 and unknown["Content-Type"] == "application/json"
    assert unknown.json()["error"] == {"code": "not_found", "field": "table",
                                       "message": unknown.json()["error"]["message"]}
    bad = staff.get(API + "export/kpis.csv", {"from": "2026-03-10", "to": "2026-03-01"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    assert Client().get(API + "export/kpis.csv").status_code == 401
