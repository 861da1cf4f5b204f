"""Daily enrolment snapshots: the denominators of participation, frozen per day.

``enrolment_snapshot`` runs hourly; the run of the day overwrites that day's rows, so
the last run of a UTC day leaves its final numbers, and nothing ever writes a past day
again. A period's participation divides by the snapshot of its last day, so people
who enrol (or leave) later never change a past period's rate.
"""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Team, User
from advocacy.models import AccountStatus, SocialAccount
from analytics.models import EnrolmentSnapshot
from analytics.periods import day_start, utc_day


def headcounts(*, team_id: int | None = None, at: date | None = None,
               connected: bool = True) -> dict[int | None, dict[str, int]]:
    """Employees, invited, enrolled and connected per team (and ``None`` = everyone),
    as the database says now. With ``at``, enrolment is read from opt-in dates (used only
    for days before the first snapshot). ``connected=False`` leaves out the one costly
    count (a look at every advocate's connections) for callers that don't show it."""
    users = User.objects.filter(is_active=True)
    if team_id is not None:
        users = users.filter(team_id=team_id)
    working = SocialAccount.objects.filter(
        user=OuterRef("pk"), status__in=[AccountStatus.ACTIVE, AccountStatus.EXPIRING]
    ).exclude(access_token="")
    if at is None:
        enrolled = Q(advocate_opted_in_at__isnull=False)
    else:
        enrolled = Q(advocate_opted_in_at__lt=day_start(at) + timedelta(days=1))
    invited = enrolled | Q(invited_at__isnull=False)
    counts = {
        "employees": Count("pk"),
        "invited": Count("pk", filter=invited),
        "enrolled": Count("pk", filter=enrolled),
    }
    if connected:
        counts["connected"] = Count("pk", filter=enrolled & Q(Exists(working)))
    rows = users.values("team_id").annotate(**counts).order_by()
    out: dict[int | None, dict[str, int]] = {}
    total = dict.fromkeys(counts, 0)
    for row in rows:
        counts = {k: row[k] for k in total}
        if row["team_id"] is not None:
            out[row["team_id"]] = counts
        for k in total:
            total[k] += counts[k]
    out[None] = total
    return out


@transaction.atomic
def enrolment_snapshot(*, now=None) -> int:
    """Write today's snapshot rows (everyone and each team). Returns rows written."""
    now = now or timezone.now()
    day = utc_day(now)
    counts = headcounts()
    team_ids = set(Team.objects.values_list("pk", flat=True))
    EnrolmentSnapshot.objects.filter(day=day).delete()
    rows = [
        EnrolmentSnapshot(day=day, team_id=team_id, **values)
        for team_id, values in counts.items()
        if team_id is None or team_id in team_ids
    ]
    rows += [EnrolmentSnapshot(day=day, team_id=t) for t in team_ids - counts.keys()]
    EnrolmentSnapshot.objects.bulk_create(rows)
    return len(rows)
