"""The advocate's own numbers: My impact and the leaderboard, as the portal shows them
(``analytics.views.impact``), from the same selectors.

Periods are the pages' calendar periods in UTC (``week`` from Monday, ``month``,
``quarter``, ``all``), ``month`` by default. People who opted out of leaderboards are never
listed and have no rank; their points still count (for them and their team).
"""

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from advocacy.apis.pagination import KeysetCursorPage
from advocacy.models import Share
from analytics.periods import PERIODS, DateRange, calendar_period, utc_day
from analytics.selectors import impact as mine
from analytics.selectors.leaderboards import leaderboard, points_of, rank_of, team_leaderboard
from core.api import ApiError

CHART_DAYS = 30  # the My impact page's chart


class PeriodQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=list(PERIODS.items()), default="month",
                                     help_text="A calendar period in UTC, up to today.")


class LeaderboardQuerySerializer(PeriodQuerySerializer):
    scope = serializers.ChoiceField(choices=[("all", "Everyone"), ("team", "My team")], default="all")


class PeriodSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()


def _period(key: str) -> tuple[dict[str, Any], DateRange]:
    period = calendar_period(key, utc_day(timezone.now()))
    return {"key": key, "label": PERIODS[key], "start": period.start, "end": period.end}, period


class TotalsSerializer(serializers.Serializer):
    shares = serializers.IntegerField()
    clicks = serializers.IntegerField()
    unique_clicks = serializers.IntegerField()
    engagements = serializers.IntegerField()
    potential_reach = serializers.IntegerField()
    impressions = serializers.IntegerField()


class StandingSerializer(serializers.Serializer):
    period = serializers.CharField(source="key")
    label = serializers.CharField()
    points = serializers.IntegerField()
    rank = serializers.IntegerField(allow_null=True, help_text="None: opted out, or no points yet.")


class DaySerializer(serializers.Serializer):
    day = serializers.DateField()
    clicks = serializers.IntegerField()
    unique_clicks = serializers.IntegerField()


class ImpactSerializer(serializers.Serializer):
    period = PeriodSerializer()
    totals = TotalsSerializer()
    standings = StandingSerializer(many=True, help_text="Points and rank this week, month, quarter and all time.")
    clicks_by_day = DaySerializer(many=True, help_text=f"The last {CHART_DAYS} UTC days.")
    leaderboard_opt_out = serializers.BooleanField()


_PERIOD = {"key": "month", "label": "This month", "start": "2025-11-01", "end": "2025-11-24"}


@extend_schema(
    summary="My impact",
    description=(
        "What your sharing achieved, as the portal's *My impact* page shows it: totals for the `period` "
        "(shares, clicks, unique clicks, engagements, potential reach, impressions; from the daily rollups, "
        "at most a few minutes old), your points and rank in each period, and your clicks per day over the "
        f"last {CHART_DAYS} days. Your rank is null if you opted out of leaderboards."
    ),
    parameters=[PeriodQuerySerializer],
    responses={200: ImpactSerializer},
    examples=[OpenApiExample("This month", response_only=True, status_codes=["200"], value={
        "period": _PERIOD,
        "totals": {"shares": 6, "clicks": 84, "unique_clicks": 61, "engagements": 23, "potential_reach": 5400,
                   "impressions": 3100},
        "standings": [{"period": "week", "label": "This week", "points": 40, "rank": 3},
                      {"period": "month", "label": "This month", "points": 190, "rank": 5}],
        "clicks_by_day": [{"day": "2025-11-24", "clicks": 12, "unique_clicks": 9}],
        "leaderboard_opt_out": False,
    })],
)
class MyImpactView(generics.GenericAPIView):
    serializer_class = ImpactSerializer
    pagination_class = None
    filter_backends: list = []

    def get(self, request: Request) -> Response:
        query = PeriodQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user: User = request.user
        period_data, period = _period(query.validated_data["period"])
        today = utc_day(timezone.now())
        return Response(self.get_serializer({
            "period": period_data,
            "totals": mine.my_totals(user, period),
            "standings": mine.standings(user, today),
            "clicks_by_day": mine.my_clicks_by_day(user, DateRange(today - timedelta(days=CHART_DAYS - 1), today)),
            "leaderboard_opt_out": user.leaderboard_opt_out,
        }).data)


class ShareImpactSerializer(serializers.Serializer):
    """Context: ``clicks`` ({share id: {"clicks", "unique_clicks"}})."""

    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    item_title = serializers.CharField(source="item.display_title")
    network = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    posted_at = serializers.DateTimeField(allow_null=True)
    clicks = serializers.SerializerMethodField()
    unique_clicks = serializers.SerializerMethodField()
    engagements = serializers.SerializerMethodField(help_text="Null until the network reported any (or never).")
    impressions = serializers.SerializerMethodField(help_text="Null when the network reports none.")
    potential_reach = serializers.IntegerField(source="audience_size", allow_null=True)

    def get_clicks(self, share: Share) -> int:
        return self.context["clicks"].get(share.pk, {}).get("clicks") or 0

    def get_unique_clicks(self, share: Share) -> int:
        return self.context["clicks"].get(share.pk, {}).get("unique_clicks") or 0

    def get_engagements(self, share: Share) -> int | None:
        metrics = getattr(share, "metrics", None)
        return metrics.engagements if metrics is not None and metrics.polls else None

    def get_impressions(self, share: Share) -> int | None:
        metrics = getattr(share, "metrics", None)
        return metrics.impressions if metrics is not None and metrics.polls else None


class ImpactSharesPage(KeysetCursorPage):
    ordering = ("-created_at", "-pk")
    page_size = 20


@extend_schema(
    summary="My shares' numbers",
    description="Each of your shares, newest first, with its clicks (all time), the engagements and impressions "
                "the network reported, and its potential reach: the table of the *My impact* page. Cursor pages.",
    examples=[OpenApiExample("A share in the list", response_only=True, status_codes=["200"], value={
        "id": 17, "item": 42, "item_title": "How we cut cloud costs by 30%", "network": "linkedin",
        "status": "posted", "created_at": "2025-11-24T09:01:03+00:00", "posted_at": "2025-11-24T09:01:12+00:00",
        "clicks": 14, "unique_clicks": 11, "engagements": 5, "impressions": None, "potential_reach": 1200,
    })],
)
class MyImpactSharesView(generics.ListAPIView):
    serializer_class = ShareImpactSerializer
    pagination_class = ImpactSharesPage
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Share]:
        return mine.my_shares(self.request.user)

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        clicks = mine.share_clicks([s.pk for s in page])
        data = self.get_serializer(page, many=True, context={**self.get_serializer_context(), "clicks": clicks}).data
        return self.get_paginated_response(data)


class BoardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    name = serializers.CharField()
    team = serializers.CharField()
    points = serializers.IntegerField()
    is_me = serializers.BooleanField()


class MyStandingSerializer(serializers.Serializer):
    points = serializers.IntegerField(help_text="Yours in the period, also when you opted out.")
    rank = serializers.IntegerField(allow_null=True, help_text="Null: opted out, or no points yet.")
    listed = serializers.BooleanField(help_text="You are in `board`.")
    opted_out = serializers.BooleanField()


class TeamRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    team_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    points = serializers.IntegerField(help_text="Everyone's points, also of people who opted out.")
    members = serializers.IntegerField(help_text="Members with points in the period.")
    is_mine = serializers.BooleanField()


class LeaderboardSerializer(serializers.Serializer):
    period = PeriodSerializer()
    scope = serializers.CharField()
    board = BoardRowSerializer(many=True, help_text="The top 10 (ties at the cut-off included).")
    me = MyStandingSerializer()
    teams = TeamRowSerializer(many=True)


@extend_schema(
    summary="The leaderboard",
    description=(
        "The portal's leaderboard for the `period`: the top 10 advocates by points (everyone, or `scope=team` for "
        "your team), your own points and rank, and the teams. Equal points share a rank (1, 2, 2, 4). People who "
        "opted out of leaderboards (you can, in your preferences) are never listed and have no rank."
    ),
    parameters=[LeaderboardQuerySerializer],
    responses={200: LeaderboardSerializer},
    examples=[OpenApiExample("This month", response_only=True, status_codes=["200"], value={
        "period": _PERIOD, "scope": "all",
        "board": [{"rank": 1, "name": "Bea Kim", "team": "Sales", "points": 320, "is_me": False},
                  {"rank": 2, "name": "Ann Lee", "team": "Marketing", "points": 190, "is_me": True}],
        "me": {"points": 190, "rank": 2, "listed": True, "opted_out": False},
        "teams": [{"rank": 1, "team_id": 4, "name": "Sales", "points": 900, "members": 6, "is_mine": False}],
    })],
)
class LeaderboardView(generics.GenericAPIView):
    serializer_class = LeaderboardSerializer
    pagination_class = None
    filter_backends: list = []

    def get(self, request: Request) -> Response:
        query = LeaderboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user: User = request.user
        scope = query.validated_data["scope"]
        if scope == "team" and not user.team_id:
            raise ApiError("invalid", "You are not in a team, so there is no team leaderboard.", field="scope")
        team_id = user.team_id if scope == "team" else None
        period_data, period = _period(query.validated_data["period"])
        board = leaderboard(period, team_id=team_id)
        points = points_of(user, period)
        return Response(self.get_serializer({
            "period": period_data,
            "scope": scope,
            "board": [{"rank": s.rank, "name": s.name, "team": s.team, "points": s.points, "is_me": s.user_id == user.pk}
                      for s in board],
            "me": {"points": points, "rank": rank_of(user, period, team_id=team_id, points=points),
                   "listed": any(s.user_id == user.pk for s in board), "opted_out": user.leaderboard_opt_out},
            "teams": [{"rank": t.rank, "team_id": t.team_id, "name": t.name, "points": t.points, "members": t.members,
                       "is_mine": t.team_id is not None and t.team_id == user.team_id}
                      for t in team_leaderboard(period)],
        }).data)
