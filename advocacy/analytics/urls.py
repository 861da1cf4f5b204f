"""Clicks, engagement, reach, EMV, points and dashboards."""
from django.urls import path

from advocacy.analytics.views import dashboard, exports, impact

urlpatterns = [
    path("analytics/", dashboard.dashboard, name="analytics_dashboard"),
    path("analytics/export/<slug:table>.csv", exports.export_csv, name="analytics_export"),
    path("impact/", impact.my_impact, name="my_impact"),
    path("impact/leaderboard/", impact.leaderboard_view, name="leaderboard"),
]
