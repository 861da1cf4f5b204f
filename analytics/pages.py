"""The analytics page's period figures for the unfiltered quick periods, from a snapshot.

Marketing opens the unfiltered page for a quick period ("Last 28 days", "Last 12 months",
…) every morning, and counting it reads every posting day of the period (1.5–7 s at
100,000 advocates and a million shares a year). So for each quick period in
``ANALYTICS_PAGE_SNAPSHOT_PERIODS`` (and the default period), with no campaign, team or
network and the default currency, everything the page shows for the period — the tiles and
the previous period's, the daily series, top content and advocates, the teams table — is
counted by beat (``metrics.panels_refresh``, after the rollup's sweep) into one
``PanelSnapshot`` row per period and read back by the page with the time it was counted.
A view finding its period's row missing, stale (older than ``ANALYTICS_PANELS_MAX_AGE``) or
counted for another UTC day counts it live and stores it, so the page works without beat.

The numbers are the selectors' own: filtered views, the API and the CSV exports call those
directly (live) and give the same numbers while nothing changes. The page has one audience
(``analytics.view_dashboard``, company-wide for everyone holding it), and the snapshot is
company-wide only: a view filtered by team never reads it.

Beat recounts a period only when something it reads may have changed: a cheap fingerprint
(the rollups' newest rows, people, teams, enrolment snapshots, EMV rates, the day) is
compared with the one stored; an unchanged fingerprint only re-dates the row. Edits that the
fingerprint cannot see (a renamed person or item, a rate changed in place) are picked up by
the recount forced every ``ANALYTICS_PAGE_SNAPSHOT_RECOUNT_SECONDS``.
"""

import logging
import time
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.models import Team, User
from analytics.models import EmvRate, EnrolmentSnapshot, PanelSnapshot, ShareDay, TeamDay
from analytics.panels import snapshot_store
from analytics.periods import DateRange, preset_period, utc_day
from analytics.selectors import dashboard as board
from analytics.services.emv import EmvBreakdown

logger = logging.getLogger(__name__)

PREFIX = "period:"
DEFAULT = "default"  # the default period, when no quick period is the same days
MONEY = ("total", "from_clicks", "from_engagements", "from_impressions", "from_estimated")  # EmvBreakdown's


@dataclass
class PageData:
    """What the page shows for one period (everything but the period-independent panels,
    X spend and the click buffer, which ``analytics.panels`` and the view provide)."""

    kpis: board.Kpis
    previous: board.Kpis
    series: list[board.DayPoint]
    top_content: list[dict]
    top_advocates: list[dict]
    hidden_advocates: int
    teams: list[board.TeamRow]
    as_of: datetime
    live: bool


def page_count(f: board.Filters, *, now: datetime | None = None) -> PageData:
    """Count the page's period figures for ``f`` with the selectors (the live path)."""
    active = board.active_advocates(f)  # shared by the tiles and the teams table
    return PageData(
        kpis=board.kpis(f, active=active),
        previous=board.kpis(f.replace_period(f.period.previous())),
        series=board.daily_series(f),
        top_content=list(board.top_content(f)),
        top_advocates=list(board.top_advocates(f)),
        hidden_advocates=board.hidden_advocates(f),
        teams=board.teams_table(f, active=active),
        as_of=now or timezone.now(),
        live=True,
    )


# --- which views the snapshot serves -------------------------------------------------------


def snapshot_periods(today: date) -> dict[str, DateRange]:
    """The periods kept in the snapshot today, by key: the quick periods of the setting,
    and the default period under ``DEFAULT`` when no quick period is the same days."""
    periods = {}
    for key in settings.ANALYTICS_PAGE_SNAPSHOT_PERIODS:
        period = preset_period(key, today)
        if period is not None:
            periods[key] = period
    default = board.default_period(today)
    if default not in periods.values():
        periods[DEFAULT] = default
    return periods


def snapshot_key(f: board.Filters, today: date) -> str | None:
    """The snapshot row that holds ``f``'s figures, or None when ``f`` is counted live:
    any campaign, team or network filter, another currency, or a period not kept."""
    if f.campaign_id or f.team_id or f.network or f.currency != settings.ANALYTICS_CURRENCY:
        return None
    if settings.ANALYTICS_PANELS_MAX_AGE <= 0:
        return None
    for key, period in snapshot_periods(today).items():
        if period == f.period:
            return key
    return None


def _filters(period: DateRange) -> board.Filters:
    return board.Filters(period=period, currency=settings.ANALYTICS_CURRENCY)


# --- the stored form -----------------------------------------------------------------------


def _encode_kpis(k: board.Kpis) -> dict:
    out = {f.name: getattr(k, f.name) for f in fields(k) if f.name != "emv"}
    emv = asdict(k.emv) if k.emv is not None else None
    if emv is not None:
        emv = {name: str(v) if isinstance(v, Decimal) else v for name, v in emv.items()}
        emv["versions"] = sorted(k.emv.versions)
    out["emv"] = emv
    return out


def _decode_kpis(data: dict) -> board.Kpis:
    emv = data.pop("emv")
    kpis = board.Kpis(**data)
    if emv is not None:
        kpis.emv = EmvBreakdown(**{name: Decimal(v) if name in MONEY else v for name, v in emv.items()
                                   if name != "versions"}, versions=set(emv["versions"]))
    return kpis


def _encode(page: PageData, *, day: date, period: DateRange, fingerprint: list) -> dict:
    return {
        "day": day.isoformat(), "start": period.start.isoformat(), "end": period.end.isoformat(),
        "fingerprint": fingerprint, "counted_at": page.as_of.isoformat(),
        "kpis": _encode_kpis(page.kpis), "previous": _encode_kpis(page.previous),
        "series": [[p.day.isoformat(), p.shares, p.clicks, p.unique_clicks] for p in page.series],
        "top_content": page.top_content, "top_advocates": page.top_advocates,
        "hidden_advocates": page.hidden_advocates,
        "teams": [asdict(t) for t in page.teams],
    }


def _decode(data: dict, as_of: datetime) -> PageData:
    return PageData(
        kpis=_decode_kpis(dict(data["kpis"])), previous=_decode_kpis(dict(data["previous"])),
        series=[board.DayPoint(date.fromisoformat(d), s, c, u) for d, s, c, u in data["series"]],
        top_content=data["top_content"], top_advocates=data["top_advocates"],
        hidden_advocates=data["hidden_advocates"],
        teams=[board.TeamRow(**t) for t in data["teams"]],
        as_of=as_of, live=False,
    )


def _holds(data: dict, day: date, period: DateRange) -> bool:
    """The row was counted for ``day`` (a snapshot of yesterday is never today's) and
    ``period``."""
    return (data.get("day") == day.isoformat() and data.get("start") == period.start.isoformat()
            and data.get("end") == period.end.isoformat())


def _store(key: str, data: dict, at: datetime) -> None:
    snapshot_store(PREFIX + key, data, at)


# --- change detection ----------------------------------------------------------------------


def fingerprint(today: date) -> list:
    """Cheap signs of a change in what the period figures read (a few index lookups and
    one pass over the people): the rollups are rebuilt by deleting and inserting rows, so
    their newest id moves with every rebuild; people, teams, enrolment snapshots and EMV
    rates by their count and newest id (and who is enrolled, active or hidden)."""
    people = User.objects.aggregate(
        n=Count("pk"), top=Max("pk"), active=Count("pk", filter=Q(is_active=True)),
        enrolled=Count("pk", filter=Q(advocate_opted_in_at__isnull=False)),
        hidden=Count("pk", filter=Q(leaderboard_opt_out=True)),
    )
    teams = Team.objects.aggregate(n=Count("pk"), top=Max("pk"))
    rates = EmvRate.objects.aggregate(n=Count("pk"), top=Max("pk"))
    return [
        today.isoformat(),
        ShareDay.objects.aggregate(top=Max("pk"))["top"],
        TeamDay.objects.aggregate(top=Max("pk"))["top"],
        EnrolmentSnapshot.objects.aggregate(top=Max("pk"))["top"],
        [people[k] for k in ("n", "top", "active", "enrolled", "hidden")],
        [teams["n"], teams["top"]], [rates["n"], rates["top"]],
    ]


# --- reading and refreshing ----------------------------------------------------------------


def page_data(f: board.Filters, *, now: datetime | None = None) -> PageData:
    """The page's period figures for ``f``: from the snapshot when ``f`` is an unfiltered
    kept period and its row is fresh and of today; else counted live (and stored, when the
    row was missing or stale)."""
    now = now or timezone.now()
    today = utc_day(now)
    key = snapshot_key(f, today)
    if key is None:
        return page_count(f, now=now)
    max_age = timedelta(seconds=settings.ANALYTICS_PANELS_MAX_AGE)
    row = PanelSnapshot.objects.filter(key=PREFIX + key).first()
    if row is not None and now - max_age < row.computed_at <= now and _holds(row.data, today, f.period):
        return _decode(row.data, row.computed_at)
    mark = fingerprint(today)  # before counting: a change while counting shows as a change
    page = page_count(f, now=now)
    if utc_day(timezone.now()) == today:  # still the day it was counted for
        _store(key, _encode(page, day=today, period=f.period, fingerprint=mark), now)
    return page


@dataclass
class RefreshResult:
    counted: list[str]
    unchanged: list[str]
    seconds: float


def pages_refresh(*, now: datetime | None = None, force: bool = False) -> RefreshResult:
    """Beat: recount every kept period whose inputs changed (or whose row is missing, of
    another day, or older than the forced recount), re-date the others. Harmless to repeat
    or to run twice at once: each row is replaced whole by numbers of the same moment."""
    started = time.monotonic()
    now = now or timezone.now()
    today = utc_day(now)
    periods = snapshot_periods(today)
    rows = {r.key: r for r in PanelSnapshot.objects.filter(key__in=[PREFIX + k for k in periods])}
    mark = fingerprint(today)
    recount = timedelta(seconds=settings.ANALYTICS_PAGE_SNAPSHOT_RECOUNT_SECONDS)
    result = RefreshResult([], [], 0.0)
    for key, period in periods.items():
        row = rows.get(PREFIX + key)
        if (not force and row is not None and _holds(row.data, today, period)
                and row.data.get("fingerprint") == mark
                and now - _counted_at(row) < recount):
            PanelSnapshot.objects.filter(key=row.key).update(computed_at=now)
            result.unchanged.append(key)
            continue
        page = page_count(_filters(period), now=now)
        if utc_day(timezone.now()) != today:
            break  # midnight passed while counting: these would be yesterday's figures
        _store(key, _encode(page, day=today, period=period, fingerprint=mark), now)
        result.counted.append(key)
    result.seconds = round(time.monotonic() - started, 2)
    logger.info("analytics page snapshot: counted %s, unchanged %s, %.1f s",
                result.counted, result.unchanged, result.seconds)
    return result


def _counted_at(row: PanelSnapshot) -> datetime:
    """When the row's numbers were last really counted (a re-dated row keeps this)."""
    counted = row.data.get("counted_at")
    return datetime.fromisoformat(counted) if counted else row.computed_at
