"""How far ahead anything may be scheduled (a share, a publication).

A date a year out is far more often a typo ("2027" for "2026") than a plan, and a share
scheduled then would go out from a connection that will long have expired. Confirmations
therefore show the year too (:func:`when_text`).
"""

from datetime import datetime, timedelta

from django.utils import timezone

MAX_DAYS_AHEAD = 90


def schedule_limit(now: datetime | None = None) -> datetime:
    """The latest time that may be scheduled."""
    return (now or timezone.now()) + timedelta(days=MAX_DAYS_AHEAD)


def too_far_ahead(when: datetime, *, now: datetime | None = None) -> str:
    """The message refusing ``when`` if it is more than ``MAX_DAYS_AHEAD`` days away, else ""."""
    limit = schedule_limit(now)
    if when <= limit:
        return ""
    return (f"That is more than {MAX_DAYS_AHEAD} days ahead: choose a time before {when_text(limit)} "
            f"(you chose {when_text(when)}).")


def when_text(when: datetime) -> str:
    """A time for people, in the active time zone, with the year: "Tue 3 Mar 2026, 09:30"."""
    local = timezone.localtime(when)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"
