"""My impact and the leaderboard in the API: the numbers of the portal's pages (the same
selectors), their periods, the leaderboard opt-out, who may ask, bounded queries."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.models import Click, ShareMetrics
from analytics.periods import DateRange, calendar_period, utc_day
from analytics.selectors import impact as mine
from analytics.selectors.leaderboards import leaderboard, points_of, rank_of
from analytics.services.rollups import rollup_run
from tests.advocacy.apis.roles import PEOPLE, ROLES, bearer, call
from tests.analytics.conftest import posted_share
from tests.factories import TeamFactory, UserFactory, advocate, published_item

pytestmark = pytest.mark.django_db

IMPACT, SHARES, BOARD = "/api/v1/me/impact/", "/api/v1/me/impact/shares/", "/api/v1/leaderboard/"


def clicks(share, n):
    now = timezone.now()
    Click.objects.bulk_create([Click(event_id=uuid.uuid4(), share=share, occurred_at=now, day=utc_day(now),
                                     visitor_key=f"v{i}") for i in range(n)])


def activity(user, n, *, days_ago: int = 0):
    for i in range(n):
        share = posted_share(user=user, network="x" if i % 2 else "linkedin", item=published_item(),
                             posted_at=timezone.now() - timedelta(days=days_ago + i, hours=1), audience=300 + i)
        clicks(share, i + 1)


@pytest.fixture
def board(no_redis):
    team = TeamFactory(name="Crew")
    people = {
        "ann": UserFactory(full_name="Ann Lee", team=team),
        "bob": UserFactory(full_name="Bob Stone", team=team),
        "shy": UserFactory(full_name="Shy Sharer", leaderboard_opt_out=True, team=team),
        "cy": UserFactory(full_name="Cy Far", team=TeamFactory(name="Elsewhere")),
    }
    for name, n in {"ann": 3, "bob": 1, "shy": 4, "cy": 2}.items():
        activity(people[name], n)
    rollup_run()
    return people


# --- who may ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [IMPACT, SHARES, BOARD])
def test_anonymous_is_401(client, url):
    assert client.get(url).status_code == 401


@pytest.mark.parametrize("url", [IMPACT, SHARES, BOARD])
@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_their_own(client, role, url, no_redis):
    person = PEOPLE[role]()
    activity(person, 1)
    rollup_run()
    client.force_login(person)
    response = client.get(url)
    assert response.status_code == 200
    if url == SHARES:
        assert [r["id"] for r in response.json()["results"]] == list(person.shares.values_list("pk", flat=True))


@pytest.mark.parametrize("url", [IMPACT, SHARES, BOARD])
def test_a_read_only_token_reads_and_never_writes(client, url, no_redis):
    person = advocate()
    headers = bearer(person, scope="read")
    assert client.get(url, **headers).status_code == 200
    assert call(client, "POST", url, {}, **headers).status_code == 403


def test_nobody_sees_someone_elses_shares(client, board):
    client.force_login(board["bob"])
    rows = client.get(SHARES).json()["results"]
    assert {r["id"] for r in rows} == set(board["bob"].shares.values_list("pk", flat=True))


# --- My impact --------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["week", "month", "quarter", "all"])
def test_my_impact_is_the_pages_numbers(client, board, period):
    ann = board["ann"]
    client.force_login(ann)
    body = client.get(IMPACT, {"period": period}).json()
    today = utc_day(timezone.now())
    range_ = calendar_period(period, today)
    assert body["period"] == {"key": period, "label": {"week": "This week", "month": "This month",
                                                       "quarter": "This quarter", "all": "All time"}[period],
                              "start": range_.start.isoformat(), "end": today.isoformat()}
    assert body["totals"] == mine.my_totals(ann, range_)
    if period == "all":
        assert body["totals"]["clicks"] == 1 + 2 + 3 and body["totals"]["shares"] == 3
    assert body["standings"] == [{"period": s.key, "label": s.label, "points": s.points, "rank": s.rank}
                                 for s in mine.standings(ann, today)]
    chart = mine.my_clicks_by_day(ann, DateRange(today - timedelta(days=29), today))
    assert body["clicks_by_day"] == [{"day": d.day.isoformat(), "clicks": d.clicks, "unique_clicks": d.unique_clicks}
                                     for d in chart]
    assert body["leaderboard_opt_out"] is False


def test_month_by_default_and_a_bad_period_is_a_400(client, board):
    client.force_login(board["ann"])
    assert client.get(IMPACT).json()["period"]["key"] == "month"
    response = client.get(IMPACT, {"period": "decade"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "period"


def test_opted_out_has_points_but_no_rank(client, board):
    client.force_login(board["shy"])
    body = client.get(IMPACT, {"period": "all"}).json()
    assert body["leaderboard_opt_out"] is True
    assert all(s["rank"] is None for s in body["standings"]) and body["standings"][-1]["points"] > 0


def test_my_shares_numbers(client, no_redis):
    me = advocate()
    share = posted_share(user=me, audience=1234)
    clicks(share, 4)
    rollup_run()
    ShareMetrics.objects.filter(share=share).update(reactions=3, comments=2, polls=1, impressions=900)
    unpolled = posted_share(user=me)
    client.force_login(me)
    rows = {r["id"]: r for r in client.get(SHARES).json()["results"]}
    assert rows[share.pk]["clicks"] == 4 and rows[share.pk]["unique_clicks"] == 4
    assert rows[share.pk]["engagements"] == 5 and rows[share.pk]["impressions"] == 900
    assert rows[share.pk]["potential_reach"] == 1234
    assert rows[unpolled.pk]["engagements"] is None and rows[unpolled.pk]["clicks"] == 0


@pytest.mark.parametrize("url", [IMPACT, f"{SHARES}?page_size=50"])
def test_bounded_queries(client, no_redis, url, django_assert_max_num_queries):
    me = advocate(team=TeamFactory(name="Crew"))
    activity(me, 2)
    rollup_run()
    client.force_login(me)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    activity(me, 25, days_ago=3)
    for _ in range(5):
        activity(UserFactory(), 1)
    rollup_run()
    with django_assert_max_num_queries(len(small)):
        assert client.get(url).status_code == 200


# --- the leaderboard --------------------------------------------------------------------


def test_the_leaderboard_is_the_pages(client, board):
    ann = board["ann"]
    client.force_login(ann)
    body = client.get(BOARD, {"period": "all"}).json()
    period = calendar_period("all", utc_day(timezone.now()))
    assert [(r["rank"], r["name"], r["points"]) for r in body["board"]] == [
        (s.rank, s.name, s.points) for s in leaderboard(period)]
    assert "Shy Sharer" not in {r["name"] for r in body["board"]}
    assert [r["name"] for r in body["board"] if r["is_me"]] == ["Ann Lee"]
    assert body["me"] == {"points": points_of(ann, period), "rank": rank_of(ann, period), "listed": True,
                          "opted_out": False}
    crew = next(t for t in body["teams"] if t["name"] == "Crew")
    assert crew["is_mine"] is True and crew["members"] == 3  # Shy's points count for the team
    assert "user_id" not in body["board"][0]


def test_opted_out_is_never_listed(client, board):
    client.force_login(board["shy"])
    body = client.get(BOARD, {"period": "all"}).json()
    assert body["me"]["rank"] is None and body["me"]["listed"] is False and body["me"]["opted_out"] is True
    assert body["me"]["points"] > 0 and not any(r["is_me"] for r in body["board"])


def test_my_team_only(client, board):
    client.force_login(board["bob"])
    body = client.get(BOARD, {"period": "all", "scope": "team"}).json()
    assert body["scope"] == "team" and {r["name"] for r in body["board"]} == {"Ann Lee", "Bob Stone"}


@pytest.mark.parametrize(("query", "field"), [({"scope": "galaxy"}, "scope"), ({"period": "year"}, "period")])
def test_bad_parameters_are_400(client, board, query, field):
    client.force_login(board["ann"])
    response = client.get(BOARD, query)
    assert response.status_code == 400 and response.json()["error"]["field"] == field


def test_no_team_no_team_board(client, no_redis):
    client.force_login(UserFactory(team=None))
    response = client.get(BOARD, {"scope": "team"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "scope"
