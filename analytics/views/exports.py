"""CSV exports of every analytics table, streamed row by row so a large export never
sits in memory (``StreamingHttpResponse`` over querysets read with ``.iterator()``)."""

from collections.abc import Callable, Iterable, Iterator

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, StreamingHttpResponse

from analytics.selectors import dashboard as board
from analytics.selectors.dashboard import Filters
from analytics.views.dashboard import PERMISSION, _filters
from core.csv_stream import csv_lines


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _kpis(f: Filters) -> Iterator[list]:
    yield ["metric", "value"]
    k = board.kpis(f)
    yield from [
        ["period_start", f.period.start.isoformat()], ["period_end", f.period.end.isoformat()],
        ["shares", k.shares], ["active_advocates", k.active_advocates], ["enrolled_advocates", k.enrolled],
        ["participation_rate_percent", _pct(k.participation)], ["clicks", k.clicks],
        ["unique_clicks", k.unique_clicks], ["previews", k.previews],
        ["clicks_per_share", "" if k.clicks_per_share is None else f"{k.clicks_per_share:.2f}"],
        ["engagements", k.engagements], ["impressions_reported", k.impressions],
        ["impressions_estimated_from_potential_reach", k.estimated_impressions],
        ["potential_reach", k.potential_reach], [f"emv_{f.currency.lower()}", k.emv.total],
        [f"emv_estimated_part_{f.currency.lower()}", k.emv.from_estimated],
    ]


def _daily(f: Filters) -> Iterator[list]:
    yield ["day", "shares", "clicks", "unique_clicks"]
    for p in board.daily_series(f):
        yield [p.day.isoformat(), p.shares, p.clicks, p.unique_clicks]


def _content(f: Filters) -> Iterator[list]:
    yield ["item_id", "title", "campaign", "shares", "clicks", "unique_clicks", "engagements", "potential_reach"]
    for r in board.top_content(f, limit=None):
        yield [r["item_id"], r["item__title"] or r["item__preview_title"], r["item__campaign__name"], r["shares"],
               r["clicks"], r["unique_clicks"], r["engagements"], r["potential_reach"]]


def _advocates(f: Filters) -> Iterator[list]:
    yield ["name", "email", "team", "shares", "clicks", "unique_clicks", "engagements", "potential_reach"]
    for r in board.top_advocates(f, limit=None):
        yield [r["user__full_name"], r["user__email"], r["user__team__name"], r["shares"], r["clicks"],
               r["unique_clicks"], r["engagements"], r["potential_reach"]]


def _teams(f: Filters) -> Iterator[list]:
    yield ["team", "enrolled_advocates", "active_advocates", "participation_rate_percent", "shares", "clicks",
           "unique_clicks", "engagements", "potential_reach"]
    for t in board.teams_table(f):
        yield [t.name, t.enrolled, t.active_advocates, _pct(t.participation), t.shares, t.clicks,
               t.unique_clicks, t.engagements, t.potential_reach]


def _funnel(f: Filters) -> Iterator[list]:
    yield ["step", "people", "percent_of_invited"]
    for step in board.adoption_funnel(team_id=f.team_id):
        yield [step.label, step.count, step.percent_of_first]


def _connections(f: Filters) -> Iterator[list]:
    yield ["name", "email", "team", "network", "status", "expires_at"]
    for a in board.attention_accounts(team_id=f.team_id).iterator(chunk_size=2000):
        yield [a.user.full_name, a.user.email, a.user.team.name if a.user.team else "", a.network,
               a.get_status_display(), a.expires_at.isoformat() if a.expires_at else ""]


def _campaigns(f: Filters) -> Iterator[list]:
    yield ["campaign", "status", "goal_shares", "shares", "goal_clicks", "clicks"]
    for c in board.campaign_progress(campaign_id=f.campaign_id):
        yield [c.campaign.name, c.campaign.get_status_display(), c.campaign.goal_shares, c.shares,
               c.campaign.goal_clicks, c.clicks]


TABLES: dict[str, Callable[[Filters], Iterable[list]]] = {
    "kpis": _kpis,
    "daily": _daily,
    "content": _content,
    "advocates": _advocates,
    "teams": _teams,
    "funnel": _funnel,
    "connections": _connections,
    "campaigns": _campaigns,
}


@login_required
@permission_required(PERMISSION, raise_exception=True)
def export_csv(request: HttpRequest, table: str) -> StreamingHttpResponse:
    builder = TABLES.get(table)
    if builder is None:
        raise Http404("No such table.")
    _, f = _filters(request)
    # A byte-order mark so that spreadsheet programs read the file as UTF-8.
    rows = csv_lines(builder(f))
    response = StreamingHttpResponse(_with_bom(rows), content_type="text/csv; charset=utf-8")
    name = f"chorus-{table}-{f.period.start:%Y%m%d}-{f.period.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _with_bom(rows: Iterator[str]) -> Iterator[str]:
    yield "\ufeff"
    yield from rows
