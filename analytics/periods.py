"""Days and periods. All analytics are kept per UTC day; a period is a range of days."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

PERIODS = {"week": "This week", "month": "This month", "quarter": "This quarter", "all": "All time"}
EPOCH = date(2000, 1, 1)


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def next_utc_midnight(moment: datetime) -> datetime:
    return day_start(utc_day(moment) + timedelta(days=1))


@dataclass(frozen=True)
class DateRange:
    """Days ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "DateRange":
        """The period of the same length just before this one."""
        return DateRange(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    @property
    def label(self) -> str:
        if self.start == EPOCH:
            return f"all time to {self.end:%d %b %Y}"
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"


def calendar_period(name: str, today: date) -> DateRange:
    """This week (from Monday), this month, this quarter or all time, up to ``today``."""
    if name == "week":
        return DateRange(today - timedelta(days=today.weekday()), today)
    if name == "month":
        return DateRange(today.replace(day=1), today)
    if name == "quarter":
        return DateRange(today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1), today)
    return DateRange(EPOCH, today)


def range_of(start: datetime, end: datetime) -> DateRange:
    """[start, end) as whole UTC days: the day of ``start`` to the day before ``end``
    (or ``end``'s day when it is not a midnight)."""
    last = utc_day(end)
    if end.astimezone(UTC).time() == time.min:
        last -= timedelta(days=1)
    return DateRange(utc_day(start), max(last, utc_day(start)))


PRESETS = {
    "7d": "Last 7 days",
    "28d": "Last 28 days",
    "90d": "Last 90 days",
    "365d": "Last 12 months",
    "month": "This month",
    "last_month": "Last month",
    "quarter": "This quarter",
    "year": "This year",
}


def preset_period(name: str, today: date) -> DateRange | None:
    """The analytics page's quick periods (None for an unknown name)."""
    days = {"7d": 7, "28d": 28, "90d": 90, "365d": 365}.get(name)
    if days:
        return DateRange(today - timedelta(days=days - 1), today)
    if name in ("month", "quarter"):
        return calendar_period(name, today)
    if name == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return DateRange(last.replace(day=1), last)
    if name == "year":
        return DateRange(today.replace(month=1, day=1), today)
    return None
