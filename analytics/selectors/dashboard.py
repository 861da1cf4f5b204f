"""The marketing analytics page: KPI tiles, daily series, top lists, teams, funnel,
connection health, X spend and campaign progress.

Totals, series and teams read ``TeamDay`` (a few dozen rows per day; ``DailyTotals`` when a
campaign is chosen); top content and
campaign clicks read ``ItemDay`` (a row per active item per day); top advocates and
distinct-advocate counts read ``ShareDay`` through its indexes. Campaign progress counts
posted shares live (``analytics.progress``, the same numbers as the admin and the digest).
Nothing here reads raw clicks.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import Team, User
from advocacy.models import AccountStatus, ProgrammeSettings, Share, ShareStatus, SocialAccount
from advocacy.services.sharing import x_month_spend
from analytics.models import DailyTotals, ItemDay, ShareDay, TeamDay
from analytics.periods import DateRange, utc_day
from analytics.progress import with_progress_counts
from analytics.selectors.enrolment import enrolled_as_of, enrolled_by_team_as_of
from analytics.services.emv import EmvBreakdown, emv_value
from analytics.services.enrolment import headcounts
from analytics.services.polling import x_month_read_spend
from content.models import Campaign, ContentItem
from content.progress import GoalProgress

SUMS = ("shares", "potential_reach", "estimated_impressions", "clicks", "unique_clicks", "previews",
        "reactions", "comments", "reshares", "impressions")


@dataclass(frozen=True)
class Filters:
    period: DateRange
    campaign_id: int | None = None
    team_id: int | None = None
    network: str | None = None
    currency: str = "USD"

    def q(self) -> Q:
        q = Q(day__gte=self.period.start, day__lte=self.period.end)
        if self.campaign_id:
            q &= Q(campaign_id=self.campaign_id)
        if self.team_id:
            q &= Q(team_id=self.team_id)
        if self.network:
            q &= Q(network=self.network)
        return q

    def replace_period(self, period: DateRange) -> "Filters":
        return Filters(period, self.campaign_id, self.team_id, self.network, self.currency)


def _totals(f: Filters) -> QuerySet:
    """The day sums ``f`` selects: ``TeamDay`` (day × network × team, ~100 rows a day)
    unless a campaign is chosen, then ``DailyTotals`` (which has the campaign too). Both hold
    the same ShareDay sums, so either gives the same numbers."""
    model = DailyTotals if f.campaign_id else TeamDay
    return model.objects.filter(f.q())


@dataclass(frozen=True)
class ActiveAdvocates:
    """Distinct advocates with a posting day in the period: overall, and per team."""

    total: int
    by_team: dict[int | None, int]


def active_advocates(f: Filters) -> ActiveAdvocates:
    """One query for the KPI tile and the teams table: the period's distinct (advocate,
    team) pairs are found once (a hash of the posting-day rows), then counted per team and,
    without double-counting someone whose shares belong to two teams, overall."""
    pairs = (ShareDay.objects.filter(f.q(), shares=1)
             .values(uid=_unordered("user_id"), tid=_unordered("team_id")).distinct().order_by())
    inner, params = pairs.query.sql_with_params()
    sql = (f"WITH pairs AS MATERIALIZED ({inner}) "  # noqa: S608  (SQL compiled by the ORM; values are parameters)
           "SELECT 0, tid, COUNT(*) FROM pairs GROUP BY tid "
           "UNION ALL SELECT 1, NULL, COUNT(DISTINCT uid) FROM pairs")
    total, by_team = 0, {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for is_total, team_id, n in cursor.fetchall():
            if is_total:
                total = n
            else:
                by_team[team_id] = n
    return ActiveAdvocates(total, by_team)


def _sums(qs: QuerySet) -> dict[str, int]:
    row = qs.aggregate(**{name: Sum(name) for name in SUMS})
    return {name: row[name] or 0 for name in SUMS}


@dataclass
class Kpis:
    shares: int = 0
    active_advocates: int = 0
    enrolled: int = 0
    enrolled_source: str = "snapshot"
    clicks: int = 0
    unique_clicks: int = 0
    previews: int = 0
    engagements: int = 0
    impressions: int = 0
    estimated_impressions: int = 0
    potential_reach: int = 0
    emv: EmvBreakdown | None = None

    @property
    def participation(self) -> float | None:
        return 100 * self.active_advocates / self.enrolled if self.enrolled else None

    @property
    def clicks_per_share(self) -> float | None:
        return self.clicks / self.shares if self.shares else None


def kpis(f: Filters, *, active: ActiveAdvocates | None = None) -> Kpis:
    """Five queries (four with ``active`` given): sums, distinct sharers, enrolment, EMV
    rows, rate versions."""
    totals = _totals(f)
    s = _sums(totals)
    active_n = (active or active_advocates(f)).total
    enrolled, source = enrolled_as_of(f.period.end, team_id=f.team_id)
    emv_rows = (
        totals.values("day", "network")
        .annotate(clicks=Sum("clicks"), engagements=Sum(F("reactions") + F("comments") + F("reshares")),
                  impressions=Sum("impressions"), estimated_impressions=Sum("estimated_impressions"))
        .order_by()
    )
    return Kpis(
        shares=s["shares"], active_advocates=active_n, enrolled=enrolled, enrolled_source=source,
        clicks=s["clicks"], unique_clicks=s["unique_clicks"], previews=s["previews"],
        engagements=s["reactions"] + s["comments"] + s["reshares"], impressions=s["impressions"],
        estimated_impressions=s["estimated_impressions"], potential_reach=s["potential_reach"],
        emv=emv_value(emv_rows, currency=f.currency),
    )


@dataclass(frozen=True)
class DayPoint:
    day: date
    shares: int
    clicks: int
    unique_clicks: int


def daily_series(f: Filters) -> list[DayPoint]:
    rows = {
        r["day"]: r
        for r in _totals(f).values("day")
        .annotate(shares=Sum("shares"), clicks=Sum("clicks"), unique_clicks=Sum("unique_clicks")).order_by()
    }
    first = f.period.start
    if f.period.days > 366:  # "all time": start at the first day with data
        first = min(rows, default=f.period.end)
    points = []
    day = first
    while day <= f.period.end:
        r = rows.get(day, {})
        points.append(DayPoint(day, r.get("shares", 0), r.get("clicks", 0), r.get("unique_clicks", 0)))
        day += timedelta(days=1)
    return points


def _engagement_sum():
    return Sum(F("reactions") + F("comments") + F("reshares"))


def _unordered(column: str):
    """``column + 0``: the same value, but SQLite no longer sees an index on ``column`` as
    a way to group by it. Left to itself it walks the (column, day) index, skipping through
    every value (``ANY(column)``), instead of reading the period's range of a day-first
    index — 10× slower for a year of data."""
    return ExpressionWrapper(F(column) + 0, output_field=IntegerField())


def _ranked(qs: QuerySet, key: str) -> QuerySet:
    """Rows grouped by ``key`` alone (no joins while grouping), by clicks, then shares; the
    key comes back as ``ranked_id``."""
    return (
        qs.values(ranked_id=_unordered(key))
        .annotate(shares=Sum("shares"), clicks=Sum("clicks"), unique_clicks=Sum("unique_clicks"),
                  engagements=_engagement_sum(), potential_reach=Sum("potential_reach"))
        .order_by("-clicks", "-shares", "ranked_id")
    )


def _named(rows: Iterable[dict], key: str, names: Callable[[list], dict[int, dict]], *,
           chunk: int = 2000) -> Iterator[dict]:
    """Add display names to ranked rows, one lookup query per ``chunk`` rows."""
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == chunk:
            yield from _name_batch(batch, key, names)
            batch = []
    yield from _name_batch(batch, key, names)


def _name_batch(batch: list[dict], key: str, names: Callable[[list], dict[int, dict]]) -> Iterator[dict]:
    if not batch:
        return
    for row in batch:
        row[key] = row.pop("ranked_id")
    found = names([r[key] for r in batch])
    for row in batch:
        yield {**found.get(row[key], {}), **row}


def _item_names(ids: list[int]) -> dict[int, dict]:
    return {
        r.pop("pk"): r
        for r in ContentItem.objects.filter(pk__in=ids).values(
            "pk", item__title=F("title"), item__preview_title=F("preview_title"),
            item__campaign__name=F("campaign__name"),
        )
    }


def _user_names(ids: list[int]) -> dict[int, dict]:
    return {
        r.pop("pk"): r
        for r in User.objects.filter(pk__in=ids).values(
            "pk", user__full_name=F("full_name"), user__email=F("email"), user__team__name=F("team__name"),
        )
    }


def _ranked_named(qs: QuerySet, key: str, names, limit: int | None) -> list[dict] | Iterator[dict]:
    if limit:
        return list(_named(qs[:limit], key, names))
    return _named(qs.iterator(chunk_size=2000), key, names)


def top_content(f: Filters, *, limit: int | None = 10) -> list[dict] | Iterator[dict]:
    """Items by clicks, then shares: ``limit`` of them as a list (two queries), or all of
    them as a stream (``limit=None``, for the CSV export). Reads ``ItemDay`` (a row per
    item, network and day with activity) unless a team is chosen."""
    source = ShareDay if f.team_id else ItemDay
    return _ranked_named(_ranked(source.objects.filter(f.q()), "item_id"), "item_id", _item_names, limit)


def top_advocates(f: Filters, *, limit: int | None = 10) -> list[dict] | Iterator[dict]:
    """Advocates by clicks, like ``top_content``. People who opted out of leaderboards are
    not listed."""
    opted_out = User.objects.filter(leaderboard_opt_out=True).values("pk")
    qs = ShareDay.objects.filter(f.q()).exclude(user_id__in=opted_out)
    return _ranked_named(_ranked(qs, "user_id"), "user_id", _user_names, limit)


def hidden_advocates(f: Filters) -> int:
    """How many advocates with activity are left out of ``top_advocates`` (opted out)."""
    # Few people opt out: look them up through the (user, day) index, not by scanning the period.
    opted_out = User.objects.filter(leaderboard_opt_out=True).values("pk")
    return ShareDay.objects.filter(f.q(), user_id__in=opted_out).values("user_id").distinct().count()


@dataclass
class TeamRow:
    team_id: int | None
    name: str
    shares: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    engagements: int = 0
    potential_reach: int = 0
    active_advocates: int = 0
    enrolled: int = 0

    @property
    def participation(self) -> float | None:
        return 100 * self.active_advocates / self.enrolled if self.enrolled else None


def teams_table(f: Filters, *, active: ActiveAdvocates | None = None) -> list[TeamRow]:
    """Every team (even quiet ones), four queries (three with ``active`` given)."""
    teams = Team.objects.all()
    if f.team_id:
        teams = teams.filter(pk=f.team_id)
    rows = {t.pk: TeamRow(t.pk, t.name) for t in teams}
    sums = (
        _totals(f).values("team_id")
        .annotate(shares=Sum("shares"), clicks=Sum("clicks"), unique_clicks=Sum("unique_clicks"),
                  engagements=_engagement_sum(), potential_reach=Sum("potential_reach"))
        .order_by()
    )
    for s in sums:
        row = rows.get(s["team_id"])
        if row is None:
            if f.team_id:
                continue
            row = rows.setdefault(s["team_id"], TeamRow(s["team_id"], "No team"))
        row.shares, row.clicks, row.unique_clicks = s["shares"], s["clicks"], s["unique_clicks"]
        row.engagements, row.potential_reach = s["engagements"], s["potential_reach"]
    for team_id, n in (active or active_advocates(f)).by_team.items():
        if team_id in rows:
            rows[team_id].active_advocates = n
    for team_id, enrolled in enrolled_by_team_as_of(f.period.end).items():
        if team_id in rows:
            rows[team_id].enrolled = enrolled
    return sorted(rows.values(), key=lambda r: (-r.clicks, -r.shares, r.name))


@dataclass(frozen=True)
class FunnelStep:
    label: str
    count: int
    percent_of_first: int
    help: str


def adoption_funnel(*, team_id: int | None = None) -> list[FunnelStep]:
    """Invited → enrolled → connected → shared, as things stand today. Each step is a
    subset of the one before: posting needs a connection, so a person who shared counts
    as connected even if that connection has since expired or been removed."""
    counts = headcounts(team_id=team_id, connected=False)[None]
    users = User.objects.filter(is_active=True, advocate_opted_in_at__isnull=False)
    if team_id:
        users = users.filter(team_id=team_id)
    has_shared = Exists(Share.objects.filter(user=OuterRef("pk"), status=ShareStatus.POSTED))
    steps_counts = users.aggregate(
        connected=Count("pk", filter=Q(Exists(SocialAccount.objects.filter(user=OuterRef("pk")))) | Q(has_shared)),
        shared=Count("pk", filter=Q(has_shared)),
    )
    first = counts["invited"] or 0
    steps = [
        ("Invited", counts["invited"], "Employees invited to Chorus (or enrolled without an invitation)."),
        ("Enrolled", counts["enrolled"], "Employees who opted in as advocates."),
        ("Connected", steps_counts["connected"],
         "Advocates who have connected LinkedIn or X (even if that connection has since expired)."),
        ("Shared", steps_counts["shared"], "Advocates who have posted at least one share."),
    ]
    return [FunnelStep(label, n, round(100 * n / first) if first else 0, text) for label, n, text in steps]


@dataclass
class ConnectionHealth:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # network -> status -> n
    attention: list[SocialAccount] = field(default_factory=list)
    attention_total: int = 0


def attention_accounts(*, team_id: int | None = None) -> QuerySet:
    """Connections that need the employee: reconnect, or expiring within 7 days."""
    soon = timezone.now() + timedelta(days=7)
    qs = SocialAccount.objects.filter(
        Q(status=AccountStatus.NEEDS_RECONNECT) | Q(status=AccountStatus.EXPIRING)
        | Q(status=AccountStatus.ACTIVE, refresh_token="", expires_at__lte=soon)
    ).select_related("user", "user__team").order_by("status", "expires_at", "pk")
    if team_id:
        qs = qs.filter(user__team_id=team_id)
    return qs


def connection_health(*, team_id: int | None = None, limit: int = 10) -> ConnectionHealth:
    accounts = SocialAccount.objects.all()
    if team_id:
        accounts = accounts.filter(user__team_id=team_id)
    health = ConnectionHealth()
    for row in accounts.values("network", "status").annotate(n=Count("pk")).order_by():
        health.counts.setdefault(row["network"], {})[row["status"]] = row["n"]
    attention = attention_accounts(team_id=team_id)
    health.attention = list(attention[:limit])
    health.attention_total = attention.count()
    return health


@dataclass(frozen=True)
class XSpend:
    posts: Decimal
    reads: Decimal
    budget: Decimal

    @property
    def total(self) -> Decimal:
        return self.posts + self.reads

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.total / self.budget)) if self.budget else 100


def x_spend() -> XSpend:
    return XSpend(posts=x_month_spend(), reads=x_month_read_spend(),
                  budget=ProgrammeSettings.load().x_monthly_budget)


@dataclass(frozen=True)
class CampaignProgress:
    campaign: Campaign
    shares: int
    clicks: int

    # The percentages are the admin's (``GoalProgress``); None where no goal is set.
    @property
    def shares_percent(self) -> int | None:
        goal = self.campaign.goal_shares
        return GoalProgress("Shares", self.shares, goal).percent if goal else None

    @property
    def clicks_percent(self) -> int | None:
        goal = self.campaign.goal_clicks
        return GoalProgress("Clicks", self.clicks, goal).percent if goal else None


def campaign_progress(*, campaign_id: int | None = None) -> list[CampaignProgress]:
    """Campaigns with goals (active ones, or the one chosen), counted as ``analytics.progress``
    counts them everywhere: shares live, clicks from the rollup, over the campaign's life."""
    campaigns = Campaign.objects.all()
    if campaign_id:
        campaigns = campaigns.filter(pk=campaign_id)
    else:
        campaigns = campaigns.filter(status=Campaign.Status.ACTIVE)
    campaigns = campaigns.filter(Q(goal_shares__isnull=False) | Q(goal_clicks__isnull=False))
    return [CampaignProgress(c, c.progress_shares, c.progress_clicks) for c in with_progress_counts(campaigns)]


def default_period(today: date | None = None) -> DateRange:
    today = today or utc_day(timezone.now())
    return DateRange(today - timedelta(days=settings.ANALYTICS_DEFAULT_DAYS - 1), today)
