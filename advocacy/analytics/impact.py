"""An advocate's impact over a period: the one function the digest and "My impact" use.

This first version counts shares only; the analytics work fills in clicks, points and
rank behind the same signature.
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
    from advocacy.models import Share, ShareStatus

    shares = Share.objects.filter(user=user, status=ShareStatus.POSTED, posted_at__gte=start, posted_at__lt=end)
    return Impact(shares=shares.count())
