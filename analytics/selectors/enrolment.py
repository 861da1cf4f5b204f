"""Enrolled advocates as of a day: the denominator of participation."""

from datetime import date

from django.utils import timezone

from analytics.models import EnrolmentSnapshot
from analytics.periods import utc_day
from analytics.services.enrolment import headcounts


def enrolled_as_of(day: date, *, team_id: int | None = None) -> tuple[int, str]:
    """(enrolled advocates at the end of ``day``, where the number comes from).

    The snapshot of that day, else the latest one before it. A day with no snapshot
    on or before it is estimated from opt-in dates; today, without a snapshot yet, is
    counted live."""
    snapshot = (
        EnrolmentSnapshot.objects.filter(day__lte=day, team_id=team_id).order_by("-day")
        .values_list("day", "enrolled").first()
    )
    today = utc_day(timezone.now())
    if snapshot is not None and (snapshot[0] == day or day < today):
        return snapshot[1], "snapshot"
    if day >= today:
        counts = headcounts(team_id=team_id, connected=False)
        return counts[None]["enrolled"], "live"
    counts = headcounts(team_id=team_id, at=day, connected=False)
    return counts[None]["enrolled"], "estimate"


def enrolled_by_team_as_of(day: date) -> dict[int, int]:
    """Enrolled per team at the end of ``day`` (latest snapshot on or before it, else live)."""
    latest = EnrolmentSnapshot.objects.filter(day__lte=day).order_by("-day").values_list("day", flat=True).first()
    today = utc_day(timezone.now())
    if latest is not None and (latest == day or day < today):
        return dict(
            EnrolmentSnapshot.objects.filter(day=latest, team__isnull=False).values_list("team_id", "enrolled")
        )
    return {team_id: c["enrolled"] for team_id, c in headcounts(connected=False).items() if team_id is not None}
