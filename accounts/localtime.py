"""Times as an employee reads them: in their own time zone (``User.timezone``)."""

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import dateformat

from accounts.models import User


def user_zone(user: User) -> tzinfo:
    """The employee's zone; UTC when it is unset or unknown."""
    try:
        return ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(moment: datetime, user: User) -> str:
    """``moment`` as the employee reads it: "4 Mar 2026, 14:05 (Europe/Paris)"."""
    zone = user_zone(user)
    return f"{dateformat.format(moment.astimezone(zone), 'j M Y, H:i')} ({zone.key})"
