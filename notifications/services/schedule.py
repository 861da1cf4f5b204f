"""When digests are due: each advocate's chosen weekday and hour in their own time zone.

Beat runs hourly (UTC). For every time zone advocates live in, the run looks at the local
wall-clock hours from now back ``DIGEST_CATCH_UP_HOURS`` (so a run missed while beat was
down, or a local hour skipped by a DST change, is caught up) and selects the advocates whose
``(digest_weekday, digest_hour)`` fall in them. The period of a weekly digest is the ISO
week of the *local* date ("2025-W48"), of a daily digest the local date ("2025-11-25").
Queries: one for the zones, then one per period (usually one; two around midnight or a
week boundary), whatever the number of advocates.
"""

import zoneinfo
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import NotificationPreference, User, Weekday
from notifications.models import DeliveryKind, EmailDelivery
from notifications.targeting import enrolled_users

# Everyone who reads email gets the weekly digest; "in-app only" and "none" don't.
WEEKLY_PREFERENCES = (
    NotificationPreference.INSTANT_EMAIL,
    NotificationPreference.DAILY,
    NotificationPreference.WEEKLY,
)


def digest_recipients(kind: str) -> QuerySet[User]:
    if kind == DeliveryKind.DAILY_DIGEST:
        return enrolled_users().filter(notification_preference=NotificationPreference.DAILY).exclude(email="")
    return enrolled_users().filter(notification_preference__in=WEEKLY_PREFERENCES).exclude(email="")


def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def weekly_period(local: datetime) -> str:
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def local_wall_clock_hours(now: datetime, tz_name: str) -> list[datetime]:
    """Naive local datetimes on the hour, from now back ``DIGEST_CATCH_UP_HOURS``.

    Wall-clock arithmetic on purpose: on a spring-forward day 03:00 - 1 h is 02:00, a
    local hour that never happened, so whoever chose 02:00 is still served at 03:00.
    """
    local = now.astimezone(zone(tz_name)).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    return [local - timedelta(hours=back) for back in range(max(0, settings.DIGEST_CATCH_UP_HOURS) + 1)]


def due_filters(*, kind: str, now: datetime) -> dict[str, Q]:
    """``{period: Q}`` selecting the recipients whose local digest time has come."""
    zones = list(digest_recipients(kind).order_by().values_list("timezone", flat=True).distinct())
    combos: dict[str, dict[tuple[int, int], set[str]]] = defaultdict(lambda: defaultdict(set))
    for tz_name in zones:
        for local in local_wall_clock_hours(now, tz_name):
            period = local.date().isoformat() if kind == DeliveryKind.DAILY_DIGEST else weekly_period(local)
            combos[period][(local.weekday(), local.hour)].add(tz_name)
    filters: dict[str, Q] = {}
    for period, by_slot in combos.items():
        q = Q()
        for (weekday, hour), zone_names in sorted(by_slot.items()):
            if kind == DeliveryKind.DAILY_DIGEST:
                # On their weekly digest day daily readers get the weekly one instead.
                q |= Q(digest_hour=hour, timezone__in=sorted(zone_names)) & ~Q(digest_weekday=weekday)
            else:
                q |= Q(digest_weekday=weekday, digest_hour=hour, timezone__in=sorted(zone_names))
        filters[period] = q
    return filters


def due_user_ids(*, kind: str, now: datetime) -> dict[str, list[int]]:
    """``{period: [user ids]}`` due now and not yet claimed for that period."""
    due: dict[str, list[int]] = {}
    for period, q in due_filters(kind=kind, now=now).items():
        claimed = EmailDelivery.objects.filter(user_id=OuterRef("pk"), kind=kind, period=period)
        ids = list(
            digest_recipients(kind).filter(q).exclude(Exists(claimed)).order_by("pk").values_list("pk", flat=True)
        )
        if ids:
            due[period] = ids
    return due


def schedule_label(user: User, kind: str) -> str:
    """"Mondays at 09:00 (Europe/London)" — said in the footer of every digest."""
    hour = f"{user.digest_hour:02d}:00"
    if kind == DeliveryKind.DAILY_DIGEST:
        return f"every day at {hour} ({user.timezone or 'UTC'})"
    day = Weekday(user.digest_weekday).label
    return f"{day}s at {hour} ({user.timezone or 'UTC'})"
