"""The marketing analytics page (Curators, Approvers, Admins)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from analytics import charts
from analytics.definitions import DEFINITIONS, tooltips
from analytics.forms import AnalyticsFilterForm
from analytics.periods import utc_day
from analytics.selectors import dashboard as board
from analytics.services.clicks import clicks_buffered

PERMISSION = "analytics.view_dashboard"


def _filters(request: HttpRequest):
    form = AnalyticsFilterForm(request.GET or None)
    return form, form.filters(utc_day(timezone.now()))


@login_required
@permission_required(PERMISSION, raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    form, f = _filters(request)
    kpis = board.kpis(f)
    previous = board.kpis(f.replace_period(f.period.previous()))
    series = board.daily_series(f)
    days = [p.day for p in series]
    context = {
        "form": form,
        "f": f,
        "kpis": kpis,
        "previous": previous,
        "series": series,
        "shares_chart": charts.bar_chart(days, {"Shares": [p.shares for p in series]}, nonce=request.csp_nonce),
        "shares_legend": charts.legend(["Shares"]),
        "clicks_legend": charts.legend(["Clicks", "Unique clicks"]),
        "clicks_chart": charts.line_chart(days, {
            "Clicks": [p.clicks for p in series], "Unique clicks": [p.unique_clicks for p in series],
        }, nonce=request.csp_nonce),
        "top_content": list(board.top_content(f)),
        "top_advocates": list(board.top_advocates(f)),
        "hidden_advocates": board.hidden_advocates(f),
        "teams": board.teams_table(f),
        "funnel": board.adoption_funnel(team_id=f.team_id),
        "health": board.connection_health(team_id=f.team_id),
        "x_spend": board.x_spend(),
        "campaigns": board.campaign_progress(campaign_id=f.campaign_id),
        "tips": tooltips(),
        "definitions": DEFINITIONS.values(),
        "query": request.GET.urlencode(),
        "buffered": clicks_buffered(),
        "updated_at": timezone.now(),
    }
    return render(request, "analytics/dashboard.html", context)
