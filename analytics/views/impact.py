"""The employee's own pages: My impact and the leaderboard."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from analytics import charts
from analytics.definitions import tooltips
from analytics.periods import PERIODS, DateRange, calendar_period, utc_day
from analytics.selectors import impact as mine
from analytics.selectors.leaderboards import leaderboard, points_of, rank_of, team_leaderboard

CHART_DAYS = 30


@login_required
def my_impact(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = utc_day(timezone.now())
    period_key = request.GET.get("period") if request.GET.get("period") in PERIODS else "month"
    period = calendar_period(period_key, today)
    recent = DateRange(today - timedelta(days=CHART_DAYS - 1), today)
    by_day = mine.my_clicks_by_day(user, recent)
    days = [d.day for d in by_day]
    day_clicks, day_unique = [d.clicks for d in by_day], [d.unique_clicks for d in by_day]
    page = Paginator(mine.my_shares(user), 20).get_page(request.GET.get("page"))
    clicks = mine.share_clicks([s.pk for s in page.object_list])
    rows = [(s, clicks.get(s.pk, {}), getattr(s, "metrics", None)) for s in page.object_list]
    return render(request, "analytics/my_impact.html", {
        "period_key": period_key,
        "periods": PERIODS,
        "period": period,
        "totals": mine.my_totals(user, period),
        "standings": mine.standings(user, today),
        "by_day": by_day,
        "clicks_chart": charts.line_chart(days, {"Clicks": day_clicks, "Unique clicks": day_unique}, height=240,
                                          nonce=request.csp_nonce),
        "clicks_table": charts.data_table(days, {"Clicks": day_clicks, "Unique": day_unique},
                                          caption="My clicks per day"),
        "clicks_legend": charts.legend(["Clicks", "Unique clicks"]),
        "page": page,
        "rows": rows,
        "querystring": f"period={period_key}",
        "tips": tooltips(),
    })


@login_required
def leaderboard_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = utc_day(timezone.now())
    period_key = request.GET.get("period") if request.GET.get("period") in PERIODS else "month"
    scope = "team" if request.GET.get("scope") == "team" and user.team_id else "all"
    team_id = user.team_id if scope == "team" else None
    period = calendar_period(period_key, today)
    board = leaderboard(period, team_id=team_id)
    my_points = points_of(user, period)
    my_rank = rank_of(user, period, team_id=team_id, points=my_points)
    return render(request, "analytics/leaderboard.html", {
        "period_key": period_key,
        "periods": PERIODS,
        "period": period,
        "scope": scope,
        "board": board,
        "me_listed": any(s.user_id == user.pk for s in board),
        "my_points": my_points,
        "my_rank": my_rank,
        "teams": team_leaderboard(period),
        "tips": tooltips(),
    })
