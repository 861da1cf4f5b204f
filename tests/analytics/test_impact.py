"""``advocate_impacts``: many advocates' impact at once, the same answers as one at a time."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.impact import Impact, advocate_impact, advocate_impacts
from analytics.models import PointsEntry, PointsKind
from analytics.periods import DateRange
from analytics.selectors.leaderboards import Ranking, rank_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, tzinfo=UTC)
END = START + timedelta(days=7)


def award(user, points, day):
    PointsEntry.objects.create(user=user, team=user.team, kind=PointsKind.SHARE, event_key=uuid.uuid4().hex,
                               day=day, unit_points=points, points=points)


def test_bulk_ranks_match_one_at_a_time_with_ties_opt_outs_and_nobodies():
    this_week, last_week = START.date() + timedelta(days=1), START.date() - timedelta(days=3)
    people = {name: UserFactory(full_name=name) for name in ("ann", "bob", "cid", "dee", "eve", "fay")}
    people["shy"] = UserFactory(full_name="shy", leaderboard_opt_out=True)
    people["gone"] = UserFactory(full_name="gone", is_active=False)
    for name, now, before in (("ann", 30, 5), ("bob", 20, 0), ("cid", 20, 40), ("dee", 10, 40),
                              ("shy", 99, 99), ("gone", 50, 0), ("eve", 0, 7)):
        if now:
            award(people[name], now, this_week)
        if before:
            award(people[name], before, last_week)

    bulk = advocate_impacts(people.values(), start=START, end=END)

    ranks = {name: (bulk[u.pk].points, bulk[u.pk].rank, bulk[u.pk].previous_rank) for name, u in people.items()}
    assert ranks == {
        "ann": (30, 1, 4), "bob": (20, 2, None), "cid": (20, 2, 1), "dee": (10, 4, 1),
        "eve": (0, None, 3), "fay": (0, None, None),
        "shy": (99, None, None),  # opted out: never ranked, and pushes nobody down
        "gone": (50, None, None),  # inactive: the same
    }
    for name, user in people.items():
        assert advocate_impact(user, start=START, end=END) == bulk[user.pk], name
        assert rank_of(user, DateRange(START.date(), END.date() - timedelta(days=1))) == ranks[name][1], name


def test_ranking_of_an_empty_period_ranks_nobody():
    ranking = Ranking.of(DateRange(date(2020, 1, 1), date(2020, 1, 7)))
    assert ranking.totals == [] and ranking.rank(UserFactory(), 10) == 1  # alone at the top
    assert ranking.rank(UserFactory(), 0) is None


def test_queries_do_not_grow_with_the_number_of_advocates():
    def run(n):
        users = [UserFactory() for _ in range(n)]
        for i, user in enumerate(users):
            award(user, 5 * (i % 3 + 1), START.date() + timedelta(days=i % 7))
        with CaptureQueriesContext(connection) as ctx:
            impacts = advocate_impacts(users, start=START, end=END)
        assert all(isinstance(impacts[u.pk], Impact) and impacts[u.pk].rank for u in users)
        return len(ctx)

    assert run(2) == run(40) == 6
    assert advocate_impacts([], start=START, end=END) == {}
