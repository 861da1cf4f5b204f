"""What analytics holds about a person, for "My data" and account deletion
(``accounts.services.privacy``): their points and the numbers of their shares.

On deletion nothing here is deleted: the points ledger, ``ShareDay``, ``DailyTotals``,
``ItemDay`` and ``PointsMonth`` are what campaign, content and team numbers are made of,
and they point at the anonymised user, who is hidden from every leaderboard. The shares'
engagement is no longer polled (there is no connection left to poll with).
"""

from collections.abc import Iterator
from typing import Any

from django.db.models import Sum

from accounts.models import User
from accounts.services.privacy import PersonalData, register_personal_data
from analytics.models import PointsEntry, ShareDay, ShareMetrics


def points_export(user: User) -> Iterator[dict[str, Any]]:
    rows = (
        PointsEntry.objects.filter(user=user).order_by("day", "pk")
        .values("day", "kind", "quantity", "unit_points", "points", "share_id")
    )
    yield from rows.iterator(chunk_size=2000)


def impact_export(user: User) -> Iterator[dict[str, Any]]:
    """Per share: clicks, previews, engagement and reach, summed over its days."""
    rows = (
        ShareDay.objects.filter(user=user).values("share_id")
        .annotate(clicks=Sum("clicks"), unique_clicks=Sum("unique_clicks"), previews=Sum("previews"),
                  reactions=Sum("reactions"), comments=Sum("comments"), reshares=Sum("reshares"),
                  impressions=Sum("impressions"), potential_reach=Sum("potential_reach"))
        .order_by("share_id")
    )
    yield from rows.iterator(chunk_size=2000)


def analytics_erase(user: User) -> dict[str, int]:
    stopped = ShareMetrics.objects.filter(share__user=user, next_poll_at__isnull=False).update(
        next_poll_at=None, note="The author deleted their account: not polled any more.",
    )
    return {"shares no longer polled": stopped}


def register() -> None:
    register_personal_data(
        PersonalData(
            "points", "Points", "every line of your points ledger (what earned them, when).",
            export=points_export, position=50,
            count=lambda user: PointsEntry.objects.filter(user=user).count(),
            erase=analytics_erase,
        ),
        PersonalData(
            "impact", "Impact", "clicks, engagement and reach of each of your shares.",
            export=impact_export, position=55,
        ),
    )
