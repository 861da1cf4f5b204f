"""The marketing analytics API (staff: whoever may see the analytics page).

Every number comes from the analytics page's selectors (``analytics.selectors.dashboard``)
with the page's filters (``marketing_params``), so the API and the page never disagree;
nothing here counts anything itself (the time series only adds daily points up into weeks
or months). The CSV exports are in ``marketing_exports``.
"""

from datetime import date, timedelta
from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from analytics.apis import marketing_serializers as out
from analytics.apis.marketing_params import (
    DASHBOARD_PERMISSIONS,
    AnalyticsQuerySerializer,
    CampaignQuerySerializer,
    TeamQuerySerializer,
    read_query,
)
from analytics.selectors import dashboard as board
from content.models import Network

TAG = "Analytics"
PERIOD = {"start": "2026-03-01", "end": "2026-03-28", "days": 28}
FIGURES = {
    "shares": 120, "active_advocates": 40, "enrolled": 160, "enrolled_source": "snapshot", "participation": 25.0,
    "clicks": 900, "unique_clicks": 610, "previews": 75, "clicks_per_share": 7.5, "engagements": 340,
    "impressions": 25000, "estimated_impressions": 18000, "potential_reach": 61000,
    "emv": {"currency": "USD", "total": "1234.50", "from_clicks": "900.00", "from_engagements": "170.00",
            "from_impressions": "75.00", "from_estimated": "89.50", "estimated_share": 7, "unvalued_days": 0},
}


class MarketingView(GenericAPIView):
    """No queryset, no pages: each answer is one table of the analytics page."""

    permission_classes = DASHBOARD_PERMISSIONS
    pagination_class = None
    filter_backends: list = []


class KpisView(MarketingView):
    serializer_class = out.MarketingKpisSerializer

    @extend_schema(
        tags=[TAG], summary="Key numbers",
        description="The analytics page's key numbers for a period (default: the last 28 days), narrowed to a "
                    "campaign, team or network, with the same numbers for the period just before. Each field "
                    "says how it is calculated.",
        parameters=[AnalyticsQuerySerializer],
        examples=[OpenApiExample("Last 28 days", response_only=True, value={
            **FIGURES, "period": PERIOD, "previous": FIGURES,
            "previous_period": {"start": "2026-02-01", "end": "2026-02-28", "days": 28},
        })],
    )
    def get(self, request: Request) -> Response:
        f = read_query(request, AnalyticsQuerySerializer)["filters"]
        previous = f.replace_period(f.period.previous())
        data = {**_figures(board.kpis(f)), "period": f.period,
                "previous": _figures(board.kpis(previous)), "previous_period": previous.period}
        return Response(self.get_serializer(data).data)


def _figures(kpis: board.Kpis) -> dict[str, Any]:
    return {name: getattr(kpis, name) for name in out.MarketingKpiFiguresSerializer().fields}


class NetworksView(MarketingView):
    serializer_class = out.MarketingNetworksSerializer

    @extend_schema(
        tags=[TAG], summary="Key numbers per network",
        description="The key numbers of the period for each network (or only the `network` chosen), exactly "
                    "as the key numbers endpoint gives them with that network chosen.",
        parameters=[AnalyticsQuerySerializer],
        examples=[OpenApiExample("Both networks", response_only=True, value={
            "period": PERIOD, "results": [{**FIGURES, "network": "linkedin", "label": "LinkedIn"},
                                          {**FIGURES, "network": "x", "label": "X"}],
        })],
    )
    def get(self, request: Request) -> Response:
        f = read_query(request, AnalyticsQuerySerializer)["filters"]
        networks = [(value, label) for value, label in Network.choices if not f.network or value == f.network]
        results = [
            {**_figures(board.kpis(board.Filters(f.period, f.campaign_id, f.team_id, value, f.currency))),
             "network": value, "label": label}
            for value, label in networks
        ]
        return Response(self.get_serializer({"period": f.period, "results": results}).data)


METRICS = ("shares", "clicks", "unique_clicks")
INTERVALS = ("day", "week", "month")


class TimeseriesQuerySerializer(AnalyticsQuerySerializer):
    metric = serializers.ChoiceField(choices=METRICS, default="shares",
                                     help_text="What to count per bucket (as on the page's charts).")
    interval = serializers.ChoiceField(choices=INTERVALS, default="day",
                                       help_text="Bucket size: UTC days, ISO weeks (from Monday) or months.")


def _bucket_start(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def buckets(points: list[board.DayPoint], metric: str, interval: str) -> list[dict]:
    """The daily points added up per ``interval``; a bucket is cut to the period's days."""
    out_points: list[dict] = []
    for point in points:
        start = _bucket_start(point.day, interval)
        if out_points and out_points[-1]["key"] == start:
            out_points[-1]["end"] = point.day
            out_points[-1]["value"] += getattr(point, metric)
        else:
            out_points.append({"key": start, "start": point.day, "end": point.day, "value": getattr(point, metric)})
    return out_points


class TimeseriesView(MarketingView):
    serializer_class = out.MarketingTimeseriesSerializer

    @extend_schema(
        tags=[TAG], summary="A metric over time",
        description="Shares, clicks or unique clicks per day, week or month of the period (the page's charts). "
                    "Every bucket is listed, quiet ones as 0; the first and last buckets cover only the "
                    "period's days. For all time, the series starts on the first day with data.",
        parameters=[TimeseriesQuerySerializer],
        examples=[OpenApiExample("Clicks per week", response_only=True, value={
            "metric": "clicks", "interval": "week", "period": PERIOD,
            "points": [{"start": "2026-03-01", "end": "2026-03-01", "value": 12},
                       {"start": "2026-03-02", "end": "2026-03-08", "value": 230}],
        })],
    )
    def get(self, request: Request) -> Response:
        query = read_query(request, TimeseriesQuerySerializer)
        f = query["filters"]
        points = buckets(board.daily_series(f), query["metric"], query["interval"])
        data = {"metric": query["metric"], "interval": query["interval"], "period": f.period, "points": points}
        return Response(self.get_serializer(data).data)


class TeamsView(MarketingView):
    serializer_class = out.MarketingTeamsSerializer

    @extend_schema(
        tags=[TAG], summary="Numbers per team",
        description="Every team's shares, clicks, engagements, reach and participation in the period (the "
                    "page's Teams table); people in no team are a row with a null `team`.",
        parameters=[AnalyticsQuerySerializer],
        examples=[OpenApiExample("Two teams", response_only=True, value={"period": PERIOD, "results": [
            {"team": 3, "name": "Sales", "shares": 50, "clicks": 400, "unique_clicks": 300, "engagements": 90,
             "potential_reach": 21000, "active_advocates": 12, "enrolled": 30, "participation": 40.0},
            {"team": 4, "name": "Support", "shares": 0, "clicks": 0, "unique_clicks": 0, "engagements": 0,
             "potential_reach": 0, "active_advocates": 0, "enrolled": 8, "participation": 0.0},
        ]})],
    )
    def get(self, request: Request) -> Response:
        f = read_query(request, AnalyticsQuerySerializer)["filters"]
        return Response(self.get_serializer({"period": f.period, "results": board.teams_table(f)}).data)


class CampaignsView(MarketingView):
    serializer_class = out.MarketingCampaignRowSerializer

    @extend_schema(
        tags=[TAG], summary="Campaign progress",
        description="Progress towards their goals of the active campaigns that have one (or of the `campaign` "
                    "chosen), counted over each campaign's whole life, as on the page, in the admin and in the "
                    "digest. Periods and the other filters do not apply.",
        parameters=[CampaignQuerySerializer],
        # A plain array (no pages; MarketingView is not a list view): spelled out, or the
        # schema would document one object.
        responses={200: out.MarketingCampaignRowSerializer(many=True)},
        # One row: the schema lists it (a one-row array).
        examples=[OpenApiExample("One campaign", response_only=True, value={
            "id": 7, "name": "Spring launch", "slug": "spring-launch", "status": "active", "goal_shares": 200,
            "goal_clicks": 2000, "shares": 120, "clicks": 900, "shares_percent": 60, "clicks_percent": 45,
        })],
    )
    def get(self, request: Request) -> Response:
        f = read_query(request, CampaignQuerySerializer)["filters"]
        rows = board.campaign_progress(campaign_id=f.campaign_id)
        return Response(self.get_serializer(rows, many=True).data)


class TopQuerySerializer(AnalyticsQuerySerializer):
    limit = serializers.IntegerField(default=10, min_value=1, max_value=100,
                                     help_text="How many rows (the page shows 10; the CSV export has them all).")


class ContentView(MarketingView):
    serializer_class = out.MarketingContentSerializer

    @extend_schema(
        tags=[TAG], summary="Top content",
        description="The items with the most clicks (then shares) in the period.",
        parameters=[TopQuerySerializer],
        examples=[OpenApiExample("Top item", response_only=True, value={"period": PERIOD, "results": [
            {"item": 42, "title": "Our 2026 report", "campaign": "Spring launch", "shares": 30, "clicks": 300,
             "unique_clicks": 220, "engagements": 80, "potential_reach": 15000},
        ]})],
    )
    def get(self, request: Request) -> Response:
        query = read_query(request, TopQuerySerializer)
        f = query["filters"]
        rows = board.top_content(f, limit=query["limit"])
        return Response(self.get_serializer({"period": f.period, "results": rows}).data)


class AdvocatesView(MarketingView):
    serializer_class = out.MarketingAdvocatesSerializer

    @extend_schema(
        tags=[TAG], summary="Top advocates",
        description="The advocates with the most clicks (then shares) in the period. People who opted out of "
                    "leaderboards are left out and only counted (`hidden_advocates`).",
        parameters=[TopQuerySerializer],
        examples=[OpenApiExample("Top advocate", response_only=True, value={"period": PERIOD, "results": [
            {"user": 5, "name": "Ann Lee", "email": "ann@example.com", "team": "Sales", "shares": 9,
             "clicks": 120, "unique_clicks": 90, "engagements": 31, "potential_reach": 4500},
        ], "hidden_advocates": 1})],
    )
    def get(self, request: Request) -> Response:
        query = read_query(request, TopQuerySerializer)
        f = query["filters"]
        data = {"period": f.period, "results": board.top_advocates(f, limit=query["limit"]),
                "hidden_advocates": board.hidden_advocates(f)}
        return Response(self.get_serializer(data).data)


class FunnelView(MarketingView):
    serializer_class = out.MarketingFunnelSerializer

    @extend_schema(
        tags=[TAG], summary="Adoption funnel",
        description="Invited → enrolled → connected → shared, as things stand today (of the `team` chosen). "
                    "Each step is a subset of the one before. Periods do not apply.",
        parameters=[TeamQuerySerializer],
        examples=[OpenApiExample("Funnel", response_only=True, value={"results": [
            {"label": "Invited", "count": 200, "percent_of_first": 100, "help": "Employees invited to Chorus."},
            {"label": "Enrolled", "count": 160, "percent_of_first": 80, "help": "Employees who opted in."},
        ]})],
    )
    def get(self, request: Request) -> Response:
        f = read_query(request, TeamQuerySerializer)["filters"]
        return Response(self.get_serializer({"results": board.adoption_funnel(team_id=f.team_id)}).data)


class ConnectionsView(MarketingView):
    serializer_class = out.MarketingConnectionHealthSerializer

    @extend_schema(
        tags=[TAG], summary="Connection health",
        description="Network connections per status, and those that need their owner (to reconnect, or "
                    "expiring within 7 days; the first 10, oldest problem first), of the `team` chosen. "
                    "Periods do not apply.",
        parameters=[TeamQuerySerializer],
        examples=[OpenApiExample("Health", response_only=True, value={
            "counts": {"linkedin": {"active": 120, "reconnect": 3}, "x": {"active": 40}},
            "attention": [{"user": 5, "name": "Ann Lee", "email": "ann@example.com", "team": "Sales",
                           "network": "linkedin", "status": "reconnect", "expires_at": None}],
            "attention_total": 3,
        })],
    )
    def get(self, request: Request) -> Response:
        f = read_query(request, TeamQuerySerializer)["filters"]
        return Response(self.get_serializer(board.connection_health(team_id=f.team_id)).data)
