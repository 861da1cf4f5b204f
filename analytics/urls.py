"""Clicks, engagement, reach, EMV, points and dashboards."""
from django.urls import path

from analytics.views import dashboard, exports, impact, redirect

urlpatterns = [
    path("r/<str:code>", redirect.tracked_redirect, name="tracked_redirect"),
    path("analytics/", dashboard.dashboard, name="analytics_dashboard"),
    path("analytics/export/<slug:table>.csv", exports.export_csv, name="analytics_export"),
    path("impact/", impact.my_impact, name="my_impact"),
    path("impact/leaderboard/", impact.leaderboard_view, name="leaderboard"),
]
