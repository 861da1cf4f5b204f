"""The marketing analytics page (Curators, Approvers, Admins)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from analytics import charts
from analytics.definitions import DEFINITIONS, tooltips
from analytics.forms import AnalyticsFilterForm
from analytics.pages import page_data
from analytics.panels import page_panels
from analytics.periods import PRESETS, DateRange, preset_period, utc_day
from analytics.selectors import dashboard as board
from analytics.services.clicks import clicks_buffered

PERMISSION = "analytics.view_dashboard"


def _preset_named(period: DateRange, today, prefer: str = "") -> str:
    """The quick period (a PRESETS key) that is exactly ``period`` today, ``prefer`` first."""
    for key in [prefer, *PRESETS] if prefer else PRESETS:
        if key in PRESETS and preset_period(key, today) == period:
            return key
    return ""


def _filters(request: HttpRequest):
    """The filter form, showing the period the page really displays, and the filters.

    Without a period or dates the page shows the default one (ANALYTICS_DEFAULT_DAYS): the
    period control says which ("Last 28 days"), or shows its dates if no quick period is it.
    """
    today = utc_day(timezone.now())
    default = board.default_period(today)
    default_key = _preset_named(default, today)
    data = request.GET.copy() if request.GET else None
    if data is not None and default_key and not any(data.get(k) for k in ("period", "start", "end")):
        data["period"] = default_key
    initial = {"period": default_key} if default_key else {"start": default.start, "end": default.end}
    form = AnalyticsFilterForm(data, initial=initial)
    return form, form.filters(today)


def period_name(form: AnalyticsFilterForm, period: DateRange, today) -> str:
    """What the displayed period is called ("Last 28 days"), or "" for custom dates."""
    chosen = form.cleaned_data.get("period", "") if form.is_bound and form.is_valid() else ""
    key = _preset_named(period, today, prefer=chosen)
    return PRESETS.get(key, "")


@login_required
@permission_required(PERMISSION, raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    form, f = _filters(request)
    # The period's figures: from a snapshot for an unfiltered quick period (analytics.pages).
    page = page_data(f)
    series = page.series
    # Funnel, connection health and campaign progress do not depend on the period: a snapshot.
    panels = page_panels(team_id=f.team_id, campaign_id=f.campaign_id)
    days = [p.day for p in series]
    shares = [p.shares for p in series]
    clicks, unique = [p.clicks for p in series], [p.unique_clicks for p in series]
    context = {
        "form": form,
        "f": f,
        "period_name": period_name(form, f.period, utc_day(timezone.now())),
        "kpis": page.kpis,
        "previous": page.previous,
        "series": series,
        "shares_chart": charts.bar_chart(days, {"Shares": shares}, nonce=request.csp_nonce),
        "shares_table": charts.data_table(days, {"Shares": shares}, caption="Shares per day"),
        "shares_legend": charts.legend(["Shares"]),
        "clicks_legend": charts.legend(["Clicks", "Unique clicks"]),
        "clicks_chart": charts.line_chart(days, {"Clicks": clicks, "Unique clicks": unique},
                                          nonce=request.csp_nonce),
        "clicks_table": charts.data_table(days, {"Clicks": clicks, "Unique": unique}, caption="Clicks per day"),
        "top_content": page.top_content,
        "top_advocates": page.top_advocates,
        "hidden_advocates": page.hidden_advocates,
        "teams": page.teams,
        "page_as_of": None if page.live else page.as_of,
        "funnel": panels.funnel,
        "health": panels.health,
        "panels_as_of": None if panels.live else panels.as_of,
        "x_spend": board.x_spend(),
        "campaigns": panels.campaigns,
        "tips": tooltips(),
        "definitions": DEFINITIONS.values(),
        "query": request.GET.urlencode(),
        "buffered": clicks_buffered(),
        "updated_at": timezone.now(),
    }
    return render(request, "analytics/dashboard.html", context)
