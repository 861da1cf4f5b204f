"""The advocate's API (mounted under /api/v1/ by chorus.api_urls): the feed, items, my
shares and my connections."""

from django.urls import path

from advocacy.apis import connections, items, shares

urlpatterns = [
    path("feed/", items.FeedView.as_view(), name="api_feed"),
    path("items/<int:item_id>/", items.ItemDetailView.as_view(), name="api_item"),
    path("shares/", shares.ShareListCreateView.as_view(), name="api_shares"),
    path("shares/<int:share_id>/", shares.ShareDetailView.as_view(), name="api_share"),
    path("shares/<int:share_id>/cancel/", shares.ShareCancelView.as_view(), name="api_share_cancel"),
    path("shares/<int:share_id>/retry/", shares.ShareRetryView.as_view(), name="api_share_retry"),
    path("shares/<int:share_id>/confirm/", shares.ShareConfirmView.as_view(), name="api_share_confirm"),
    path("connections/", connections.ConnectionListView.as_view(), name="api_connections"),
    path("connections/<str:network>/", connections.ConnectionDetailView.as_view(), name="api_connection"),
]
