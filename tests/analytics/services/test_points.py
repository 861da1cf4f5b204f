"""The points ledger and leaderboards: idempotent awards, rules, opt-out and ties."""

import uuid
from datetime import date, timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from analytics.models import Click, EngagementSnapshot, PointsEntry, PointsKind, PointsRule
from analytics.periods import DateRange, calendar_period, utc_day
from analytics.selectors.leaderboards import (
    competition_ranks,
    leaderboard,
    rank_of,
    team_leaderboard,
)
from analytics.services.points import points_for_suggestion, points_rebuild_all
from analytics.services.rollups import rollup_run, share_days_rebuild
from content.models import ContentSuggestion
from content.services.suggestions import suggestion_accept
from tests.analytics.conftest import posted_share
from tests.factories import TeamFactory, UserFactory, curator

pytestmark = pytest.mark.django_db


def total(user) -> int:
    return PointsEntry.objects.filter(user=user).aggregate(t=Sum("points"))["t"] or 0


def clicks(share, visitors):
    now = timezone.now()
    Click.objects.bulk_create([
        Click(event_id=uuid.uuid4(), share=share, occurred_at=now, day=utc_day(now), visitor_key=v) for v in visitors
    ])


def test_share_first_share_clicks_and_engagement_are_awarded_once(no_redis):
    user = UserFactory()
    first = posted_share(user=user, posted_at=timezone.now() - timedelta(hours=3))
    posted_share(user=user, network="x")
    clicks(first, ["a", "b", "a"])  # 3 clicks, 2 unique
    EngagementSnapshot.objects.create(share=first, taken_at=timezone.now(), day=utc_day(timezone.now()),
                                      reactions=3, comments=1, d_reactions=3, d_comments=1)
    for _ in range(3):
        rollup_run()
        points_rebuild_all()
        share_days_rebuild({(first.pk, utc_day(timezone.now()))})
    kinds = dict(PointsEntry.objects.filter(user=user).values("kind").annotate(p=Sum("points")).values_list("kind", "p"))
    assert kinds == {"share": 20, "first_share": 25, "click": 2, "engagement": 8}
    assert PointsEntry.objects.filter(user=user, kind="first_share").get().event_key == str(user.pk)


def test_more_clicks_later_update_the_same_line(no_redis):
    share = posted_share()
    clicks(share, ["a"])
    rollup_run()
    clicks(share, ["b", "c"])
    rollup_run()
    line = PointsEntry.objects.get(kind="click")
    assert (line.quantity, line.points) == (3, 3)


def test_changing_a_rule_keeps_points_already_given(no_redis):
    share = posted_share()
    rollup_run()
    PointsRule.objects.filter(kind="share").update(points=50)
    posted_share(user=share.user)
    rollup_run()
    assert sorted(PointsEntry.objects.filter(kind="share").values_list("points", flat=True)) == [10, 50]


def test_an_inactive_rule_awards_nothing(no_redis):
    PointsRule.objects.filter(kind="first_share").update(active=False)
    posted_share()
    rollup_run()
    assert not PointsEntry.objects.filter(kind="first_share").exists()


def test_an_accepted_suggestion_earns_points_once_through_the_signal(django_capture_on_commit_callbacks):
    advocate = UserFactory()
    suggestion = ContentSuggestion.objects.create(suggested_by=advocate, url="https://example.com/a")
    with django_capture_on_commit_callbacks(execute=True):
        suggestion_accept(suggestion=suggestion, user=curator())
    assert total(advocate) == 15
    points_for_suggestion(suggestion_id=suggestion.pk)
    assert total(advocate) == 15


def test_a_rejected_suggestion_earns_nothing():
    suggestion = ContentSuggestion.objects.create(suggested_by=UserFactory(), url="https://example.com/b",
                                                  status="rejected")
    assert points_for_suggestion(suggestion_id=suggestion.pk) is None


def _award(user, points, day):
    PointsEntry.objects.create(user=user, team=user.team, kind=PointsKind.SHARE, event_key=uuid.uuid4().hex,
                               day=day, unit_points=points, points=points)


def test_ties_share_a_rank_and_the_next_rank_skips():
    assert competition_ranks([30, 20, 20, 10]) == [1, 2, 2, 4]
    day = date(2026, 3, 2)
    period = DateRange(day, day)
    a, b, c, d = (UserFactory(full_name=n) for n in ("Ann", "Bob", "Cid", "Dee"))
    for user, points in ((a, 30), (b, 20), (c, 20), (d, 10)):
        _award(user, points, day)
    assert [(s.rank, s.name) for s in leaderboard(period)] == [(1, "Ann"), (2, "Bob"), (2, "Cid"), (4, "Dee")]
    assert rank_of(c, period) == 2 and rank_of(d, period) == 4


def test_opted_out_people_are_never_listed_or_ranked_but_count_for_their_team():
    day = date(2026, 3, 2)
    period = DateRange(day, day)
    team = TeamFactory(name="Quiet")
    shy = UserFactory(full_name="Shy", team=team, leaderboard_opt_out=True)
    keen = UserFactory(full_name="Keen")
    _award(shy, 50, day)
    _award(keen, 10, day)
    assert [s.name for s in leaderboard(period)] == ["Keen"]
    assert rank_of(keen, period) == 1  # the opted-out person above does not push anyone down
    assert rank_of(shy, period) is None
    assert [(t.name, t.points) for t in team_leaderboard(period)][0] == ("Quiet", 50)


def test_periods_are_calendar_weeks_months_quarters():
    today = date(2026, 5, 14)  # a Thursday
    assert calendar_period("week", today) == DateRange(date(2026, 5, 11), today)
    assert calendar_period("month", today) == DateRange(date(2026, 5, 1), today)
    assert calendar_period("quarter", today) == DateRange(date(2026, 4, 1), today)
    assert calendar_period("all", today).start.year == 2000


def test_team_board_and_per_team_leaderboard():
    day = date(2026, 3, 2)
    period = DateRange(day, day)
    red, blue = TeamFactory(name="Red"), TeamFactory(name="Blue")
    r1, r2, b1 = UserFactory(team=red), UserFactory(team=red), UserFactory(team=blue)
    for user, points in ((r1, 5), (r2, 5), (b1, 20)):
        _award(user, points, day)
    assert [(t.rank, t.name, t.points, t.members) for t in team_leaderboard(period)] == [
        (1, "Blue", 20, 1), (2, "Red", 10, 2)]
    assert {s.user_id for s in leaderboard(period, team_id=red.pk)} == {r1.pk, r2.pk}
    assert rank_of(r1, period, team_id=red.pk) == 1


def test_monthly_sums_follow_the_ledger(no_redis):
    from datetime import UTC, datetime

    from analytics.models import PointsMonth

    people = [UserFactory() for _ in range(3)]
    for i, person in enumerate(people):
        for day in (3, 17):
            share = posted_share(user=person, posted_at=datetime(2026, 2, day, 12, tzinfo=UTC))
            now = datetime(2026, 2, day + 1, 9, tzinfo=UTC)
            Click.objects.bulk_create([Click(event_id=uuid.uuid4(), share=share, occurred_at=now, day=now.date(),
                                             visitor_key=f"v{j}") for j in range(i + 1)])
    rollup_run()
    february = DateRange(date(2026, 2, 1), date(2026, 2, 28))
    ledger = dict(PointsEntry.objects.filter(day__gte=february.start, day__lte=february.end)
                  .values("user_id").annotate(t=Sum("points")).values_list("user_id", "t"))
    assert {s.user_id: s.points for s in leaderboard(february)} == ledger
    assert PointsMonth.objects.filter(month=date(2026, 2, 1)).count() == 3
    # More clicks later: the month follows.
    share = PointsEntry.objects.filter(user=people[0], kind="share").first().share
    late = datetime(2026, 2, 20, tzinfo=UTC)
    Click.objects.create(event_id=uuid.uuid4(), share=share, occurred_at=late, day=late.date(), visitor_key="new")
    rollup_run()
    assert {s.user_id: s.points for s in leaderboard(february)}[people[0].pk] == ledger[people[0].pk] + 1
