"""Leaderboards from the points ledger.

- Periods are calendar periods in UTC: this week (from Monday), month, quarter, all time.
- People who opted out of leaderboards never appear and have no rank; their points
  still count towards their team's total.
- Ties share a rank and the next rank skips ("standard competition ranking", 1-2-2-4):
  two people with the same points are equal, and the one after them is still fourth
  best, which is what a person counting the names above theirs expects.
- The team board ranks teams by the points their members earned while in the team.

Periods made of whole calendar months (month, quarter, all time — up to today) read the
monthly sums (``PointsMonth``, a row per active person per month); anything else (a week,
the digest's seven days) reads the ledger lines of its days.
"""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import timedelta

from django.db import connections
from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.models import User
from analytics.models import PointsEntry, PointsMonth
from analytics.periods import DateRange, utc_day


@dataclass(frozen=True)
class Standing:
    rank: int
    user_id: int
    name: str
    team: str
    points: int


@dataclass(frozen=True)
class TeamStanding:
    rank: int
    team_id: int | None
    name: str
    points: int
    members: int


def _whole_months(period: DateRange) -> bool:
    ends_a_month = (period.end + timedelta(days=1)).day == 1
    return period.start.day == 1 and (ends_a_month or period.end >= utc_day(timezone.now()))


def _entries(period: DateRange):
    if _whole_months(period):
        return PointsMonth.objects.filter(month__gte=period.start, month__lte=period.end)
    return PointsEntry.objects.filter(day__gte=period.start, day__lte=period.end)


def _visible(period: DateRange, team_id: int | None):
    qs = _entries(period).filter(user__leaderboard_opt_out=False, user__is_active=True)
    if team_id:
        qs = qs.filter(user__team_id=team_id)
    return qs


def competition_ranks(totals: list[int]) -> list[int]:
    """Ranks of totals sorted from high to low: equal totals share the rank, the next
    rank counts everyone above (1, 2, 2, 4)."""
    ranks, previous = [], None
    for position, total in enumerate(totals, start=1):
        ranks.append(ranks[-1] if total == previous else position)
        previous = total
    return ranks


def leaderboard(period: DateRange, *, team_id: int | None = None, limit: int = 10) -> list[Standing]:
    """The top ``limit`` (ties at the cut-off included). One query."""
    rows = list(
        _visible(period, team_id)
        .values("user_id", "user__full_name", "user__email", "user__team__name")
        .annotate(total=Sum("points"))
        .filter(total__gt=0)
        .order_by("-total", "user__full_name", "user_id")[: limit * 3]
    )
    ranks = competition_ranks([r["total"] for r in rows])
    return [
        Standing(rank, r["user_id"], r["user__full_name"] or r["user__email"].split("@")[0],
                 r["user__team__name"] or "", r["total"])
        for rank, r in zip(ranks, rows, strict=True)
        if rank <= limit
    ]


def points_of(user: User, period: DateRange) -> int:
    return _entries(period).filter(user=user).aggregate(total=Sum("points"))["total"] or 0


def points_by_user(user_ids: list[int], period: DateRange) -> dict[int, int]:
    """Points of each of ``user_ids`` in ``period`` (absent: none). One query."""
    return dict(
        _entries(period).filter(user_id__in=user_ids).values("user_id")
        .annotate(total=Sum("points")).order_by().values_list("user_id", "total")
    )


@dataclass(frozen=True)
class Ranking:
    """Everyone's rank in a period from one query: how many visible people have each
    points total (a few hundred distinct totals, however many people)."""

    totals: list[int]  # distinct totals, ascending
    at_least: list[int]  # at_least[i]: people with totals[i] or more

    @classmethod
    def of(cls, period: DateRange, *, team_id: int | None = None) -> "Ranking":
        per_person = (
            _visible(period, team_id).values("user_id").annotate(total=Sum("points"))
            .filter(total__gt=0).order_by().values("total")
        )
        sql, params = per_person.query.sql_with_params()
        # ``sql`` is the ORM's own compiled query; every value in it is a bound parameter.
        wrapped = (f"SELECT per_person.total, COUNT(*) FROM ({sql}) per_person "  # noqa: S608
                   "GROUP BY per_person.total ORDER BY per_person.total")
        with connections[per_person.db].cursor() as cursor:
            cursor.execute(wrapped, params)
            rows = cursor.fetchall()
        at_least, running = [], 0
        for _, count in reversed(rows):
            running += count
            at_least.append(running)
        return cls([int(total) for total, _ in rows], at_least[::-1])

    def rank(self, user: User, points: int) -> int | None:
        """1 + the number of visible people with more points; None when ``user`` opted
        out, is inactive or has no points."""
        if user.leaderboard_opt_out or not user.is_active or points <= 0:
            return None
        above = bisect_right(self.totals, points)  # index of the first total greater than points
        return 1 + (self.at_least[above] if above < len(self.totals) else 0)


def rank_of(user: User, period: DateRange, *, team_id: int | None = None,
            points: int | None = None) -> int | None:
    """The user's rank, or None when they opted out or have no points. Two queries."""
    if user.leaderboard_opt_out or not user.is_active:
        return None
    points = points_of(user, period) if points is None else points
    if points <= 0:
        return None
    return Ranking.of(period, team_id=team_id).rank(user, points)


def team_leaderboard(period: DateRange) -> list[TeamStanding]:
    rows = list(
        _entries(period).values("team_id", "team__name")
        .annotate(total=Sum("points"), members=Count("user_id", distinct=True, filter=Q(points__gt=0)))
        .filter(total__gt=0)
        .order_by("-total", "team__name")
    )
    ranks = competition_ranks([r["total"] for r in rows])
    return [
        TeamStanding(rank, r["team_id"], r["team__name"] or "No team", r["total"], r["members"])
        for rank, r in zip(ranks, rows, strict=True)
    ]
