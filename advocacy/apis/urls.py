"""The advocate's API (mounted under /api/v1/ by chorus.api_urls)."""

from django.urls import path

from advocacy.apis import views

urlpatterns = [
    path("feed/", views.feed, name="api_feed"),
    path("shares/", views.shares, name="api_shares"),
    path("connections/", views.connections, name="api_connections"),
]
