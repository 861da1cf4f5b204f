"""Advocates' impact over a period: what the digest and "My impact" show.

``start``/``end`` are a half-open range [start, end). Shares and potential reach are
counted from the shares' posting times exactly; clicks, engagements and points come
from the daily rollups, so they cover the UTC days the range touches (a range from one
midnight to another is exact). ``rank`` follows the leaderboard rules (competition
ranking, opt-out respected) among everyone with points in the same days;
``previous_rank`` is the rank in the period of the same length just before.

``advocate_impacts`` answers for a whole list of advocates in a constant number of
queries (six, however many advocates): the digest asks for 500 at a time.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Sum

from accounts.models import User
from advocacy.models import Share, ShareStatus
from analytics.models import ShareDay
from analytics.periods import range_of
from analytics.selectors.leaderboards import Ranking, points_by_user


@dataclass(frozen=True)
class Impact:
    shares: int = 0
    clicks: int = 0
    engagements: int = 0
    potential_reach: int = 0
    points: int = 0
    rank: int | None = None  # None: opted out of leaderboards, or no activity
    previous_rank: int | None = None


def advocate_impacts(users: Iterable[User], *, start: datetime, end: datetime) -> dict[int, Impact]:
    """``{user_id: Impact}`` for every user in ``users``."""
    users = list(users)
    if not users:
        return {}
    ids = [u.pk for u in users]
    period = range_of(start, end)
    previous = period.previous()
    posted = {
        row["user_id"]: row
        for row in Share.objects.filter(
            user_id__in=ids, status=ShareStatus.POSTED, posted_at__gte=start, posted_at__lt=end
        ).values("user_id").annotate(n=Count("pk"), reach=Sum("audience_size")).order_by()
    }
    activity = {
        row["user_id"]: row
        for row in ShareDay.objects.filter(user_id__in=ids, day__gte=period.start, day__lte=period.end)
        .values("user_id")
        .annotate(clicks=Sum("clicks"), engagements=Sum(F("reactions") + F("comments") + F("reshares")))
        .order_by()
    }
    points, points_before = points_by_user(ids, period), points_by_user(ids, previous)
    ranking, ranking_before = Ranking.of(period), Ranking.of(previous)
    out = {}
    for user in users:
        shares, days = posted.get(user.pk, {}), activity.get(user.pk, {})
        mine = points.get(user.pk, 0)
        out[user.pk] = Impact(
            shares=shares.get("n") or 0,
            clicks=days.get("clicks") or 0,
            engagements=max(days.get("engagements") or 0, 0),
            potential_reach=shares.get("reach") or 0,
            points=mine,
            rank=ranking.rank(user, mine),
            previous_rank=ranking_before.rank(user, points_before.get(user.pk, 0)),
        )
    return out


def advocate_impact(user: User, *, start: datetime, end: datetime) -> Impact:
    return advocate_impacts([user], start=start, end=end)[user.pk]
