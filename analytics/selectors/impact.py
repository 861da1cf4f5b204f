"""An advocate's own numbers for the "My impact" page."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import F, QuerySet, Sum

from accounts.models import User
from advocacy.models import Share
from analytics.models import ShareDay
from analytics.periods import PERIODS, DateRange, calendar_period
from analytics.selectors.leaderboards import points_of, rank_of


@dataclass(frozen=True)
class PeriodStanding:
    key: str
    label: str
    points: int
    rank: int | None


def standings(user: User, today: date) -> list[PeriodStanding]:
    """Points and rank this week, month, quarter and all time (eight queries)."""
    out = []
    for key, label in PERIODS.items():
        period = calendar_period(key, today)
        points = points_of(user, period)
        out.append(PeriodStanding(key, label, points, rank_of(user, period, points=points)))
    return out


def my_shares(user: User) -> QuerySet[Share]:
    return (
        Share.objects.filter(user=user).select_related("item", "metrics")
        .order_by("-created_at", "-pk")
    )


def share_clicks(share_ids: list[int]) -> dict[int, dict[str, int]]:
    """Clicks and unique clicks per share, for one page of shares (one query)."""
    return {
        r["share_id"]: r
        for r in ShareDay.objects.filter(share_id__in=share_ids).values("share_id")
        .annotate(clicks=Sum("clicks"), unique_clicks=Sum("unique_clicks")).order_by()
    }


@dataclass(frozen=True)
class MyDay:
    day: date
    clicks: int
    unique_clicks: int


def my_clicks_by_day(user: User, period: DateRange) -> list[MyDay]:
    rows = {
        r["day"]: r
        for r in ShareDay.objects.filter(user=user, day__gte=period.start, day__lte=period.end)
        .values("day").annotate(clicks=Sum("clicks"), unique_clicks=Sum("unique_clicks")).order_by()
    }
    return [
        MyDay(day, rows.get(day, {}).get("clicks", 0), rows.get(day, {}).get("unique_clicks", 0))
        for day in (period.start + timedelta(days=i) for i in range(period.days))
    ]


def my_totals(user: User, period: DateRange) -> dict[str, int]:
    row = ShareDay.objects.filter(user=user, day__gte=period.start, day__lte=period.end).aggregate(
        shares=Sum("shares"), clicks=Sum("clicks"), unique_clicks=Sum("unique_clicks"),
        engagements=Sum(F("reactions") + F("comments") + F("reshares")), potential_reach=Sum("potential_reach"),
        impressions=Sum("impressions"),
    )
    return {k: v or 0 for k, v in row.items()}
