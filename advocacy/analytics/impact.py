"""An advocate's impact over a period: the one function the digest and "My impact" use.

``start``/``end`` are a half-open range [start, end). Shares and potential reach are
counted from the shares' posting times exactly; clicks, engagements and points come
from the daily rollups, so they cover the UTC days the range touches (a range from one
midnight to another is exact). ``rank`` follows the leaderboard rules (competition
ranking, opt-out respected) among everyone with points in the same days;
``previous_rank`` is the rank in the period of the same length just before.
"""

from dataclasses import dataclass
from datetime import datetime

from accounts.models import User


@dataclass(frozen=True)
class Impact:
    shares: int = 0
    clicks: int = 0
    engagements: int = 0
    potential_reach: int = 0
    points: int = 0
    rank: int | None = None  # None: opted out of leaderboards, or no activity
    previous_rank: int | None = None


def advocate_impact(user: User, *, start: datetime, end: datetime) -> Impact:
    from django.db.models import Count, F, Sum

    from advocacy.analytics.models import ShareDay
    from advocacy.analytics.periods import range_of
    from advocacy.analytics.selectors.leaderboards import points_of, rank_of
    from advocacy.models import Share, ShareStatus

    period = range_of(start, end)
    posted = Share.objects.filter(
        user=user, status=ShareStatus.POSTED, posted_at__gte=start, posted_at__lt=end
    ).aggregate(n=Count("pk"), reach=Sum("audience_size"))
    activity = ShareDay.objects.filter(user=user, day__gte=period.start, day__lte=period.end).aggregate(
        clicks=Sum("clicks"), engagements=Sum(F("reactions") + F("comments") + F("reshares"))
    )
    points = points_of(user, period)
    return Impact(
        shares=posted["n"] or 0,
        clicks=activity["clicks"] or 0,
        engagements=max(activity["engagements"] or 0, 0),
        potential_reach=posted["reach"] or 0,
        points=points,
        rank=rank_of(user, period, points=points),
        previous_rank=rank_of(user, period.previous()),
    )
