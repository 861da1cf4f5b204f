"""analytics API (mounted under /api/v1/ by chorus.api_urls)."""

from django.urls import path

from analytics.apis import impact, marketing, marketing_exports

urlpatterns: list = [
    # The advocate's own numbers (anyone signed in, about themselves).
    path("me/impact/", impact.MyImpactView.as_view(), name="api_my_impact"),
    path("me/impact/shares/", impact.MyImpactSharesView.as_view(), name="api_my_impact_shares"),
    path("leaderboard/", impact.LeaderboardView.as_view(), name="api_leaderboard"),
    # The marketing analytics (staff: analytics.view_dashboard).
    path("analytics/kpis/", marketing.KpisView.as_view(), name="api_analytics_kpis"),
    path("analytics/timeseries/", marketing.TimeseriesView.as_view(), name="api_analytics_timeseries"),
    path("analytics/networks/", marketing.NetworksView.as_view(), name="api_analytics_networks"),
    path("analytics/teams/", marketing.TeamsView.as_view(), name="api_analytics_teams"),
    path("analytics/campaigns/", marketing.CampaignsView.as_view(), name="api_analytics_campaigns"),
    path("analytics/content/", marketing.ContentView.as_view(), name="api_analytics_content"),
    path("analytics/advocates/", marketing.AdvocatesView.as_view(), name="api_analytics_advocates"),
    path("analytics/funnel/", marketing.FunnelView.as_view(), name="api_analytics_funnel"),
    path("analytics/connections/", marketing.ConnectionsView.as_view(), name="api_analytics_connections"),
    path("analytics/export/<slug:table>.csv", marketing_exports.ExportView.as_view(), name="api_analytics_export"),
]
